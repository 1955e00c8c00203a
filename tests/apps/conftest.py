import pytest
import torch

from latentforge.models import build_model

TINY = {"latent_dim": 4, "hidden_channels": (8, 16), "image_size": (28, 28)}


@pytest.fixture
def ae():
    torch.manual_seed(0)
    return build_model("ae", TINY).eval()


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model("vae", TINY).eval()


@pytest.fixture
def images():
    return torch.rand((10, 1, 28, 28), generator=torch.Generator().manual_seed(0))
