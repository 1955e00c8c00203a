import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is fastest on a busy machine
    yield
    torch.set_num_threads(threads)
