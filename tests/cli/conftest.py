import numpy as np
import pytest

from latentforge.cli.main import main

TINY_MODEL = ["--latent-dim", "4", "--hidden-channels", "8,16"]
QUIET = ["--no-progress", "--no-tensorboard", "--num-workers", "0"]


@pytest.fixture(scope="session")
def toy_npz(tmp_path_factory):
    """160 training and 60 test images of Fashion-MNIST shape, labelled 0..2."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "toy.npz"
    y_train, y_test = np.arange(160) % 3, np.arange(60) % 3
    x_train = (rng.random((160, 28, 28)) * 80 + 60 * y_train[:, None, None]).astype(np.uint8)
    x_test = (rng.random((60, 28, 28)) * 80 + 60 * y_test[:, None, None]).astype(np.uint8)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def train_tiny(run_dir, model="ae", *extra):
    code = main(
        [
            "train",
            model,
            *TINY_MODEL,
            *QUIET,
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--out",
            str(run_dir),
            *extra,
        ]
    )
    assert code == 0
    return run_dir


@pytest.fixture(scope="session")
def one_class_run(tmp_path_factory, toy_npz):
    """An ae trained on class 0 of the toy data only."""
    return train_tiny(
        tmp_path_factory.mktemp("runs") / "ae", "ae", "--data", str(toy_npz), "--classes", "0"
    )
