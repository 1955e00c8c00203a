"""Shared test fixtures: the built-in sample as tiny data sets, fast options, a private cache
folder, tiny trained runs and a toy feature extractor."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from latentforge.data import load_data
from latentforge.data.base import DataBundle
from latentforge.data.sources import checkout_data_dir
from latentforge.evaluation import train_with_evaluation
from latentforge.metrics.features.base import FeatureExtractor
from latentforge.steps.train_config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig, train

# The test networks are tiny: one thread per process is several times faster than many
# threads competing for a small or busy machine (and subprocesses such as torchrun inherit it).
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread inside the block: tiny networks train fastest so, and far faster
    when other jobs hold the cores (several threads then wait on each other)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(name="one_thread")
def one_thread_fixture() -> Iterator[None]:
    """Torch on one thread during the test (``one_thread()`` around it)."""
    with one_thread():
        yield


@pytest.fixture(scope="session")
def real_dataset():
    """``real_dataset(NAME)`` -> the path of a real dataset file (``fashion-mnist.npz``,
    ``orl-faces.npz``) in the folder the one rule of ``checkout_data_dir`` finds:
    ``$LATENTFORGE_DATA``, else ``../shared/datasets`` beside the repository. A test that needs
    it skips, saying which file it looked for, where the file is missing."""

    def find(name: str) -> Path:
        folder = checkout_data_dir()
        if folder is None:
            pytest.skip(f"no {name}: set $LATENTFORGE_DATA or put it in ../shared/datasets")
        path = folder / name
        if not path.is_file():
            pytest.skip(f"{path} is missing")
        return path

    return find


@pytest.fixture(scope="session")
def sample_bundle() -> DataBundle:
    return load_data("sample", val_fraction=0.1, seed=0)


@pytest.fixture
def tiny_bundle(sample_bundle: DataBundle) -> DataBundle:
    """384 training and 64 validation images of the built-in sample."""
    train = sample_bundle.train.subset(torch.arange(384))
    val = sample_bundle.val.subset(torch.arange(64))
    return DataBundle("tiny", train, val, None, sample_bundle.class_names)


@pytest.fixture
def fast_train() -> TrainConfig:
    return TrainConfig(
        epochs=1,
        batch_size=64,
        lr=1e-3,
        seed=0,
        device="cpu",
        log_every=2,
        progress=False,
        tensorboard=False,
        num_workers=0,
    )


@pytest.fixture
def tiny_split_npz(tmp_path: Path, sample_bundle: DataBundle) -> Path:
    """An .npz with 320 train and 64 test images (NHW uint8) and labels."""
    x = sample_bundle.train.images[:384, 0].numpy()
    y = sample_bundle.train.labels[:384].numpy()
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=x[:320], y_train=y[:320], x_test=x[320:], y_test=y[320:])
    return path


FAST_CLI = [
    "--epochs",
    "1",
    "--batch-size",
    "64",
    "--no-progress",
    "--no-tensorboard",
    "--num-workers",
    "0",
    "--device",
    "cpu",
]


TINY_MODEL = {"latent_dim": 4, "hidden_channels": (8, 16)}


def tiny_train_config(**changes) -> TrainConfig:
    values = dict(
        epochs=1,
        batch_size=32,
        progress=False,
        tensorboard=False,
        num_workers=0,
        device="cpu",
        log_every=5,
    )
    values.update(changes)
    return TrainConfig(**values)


def write_tiny_npz(path: Path, count: int = 160, labels: bool = True) -> Path:
    """The first ``count`` images of the built-in sample (Fashion-MNIST test images) as .npz."""
    data = load_data("sample", val_fraction=0.0)
    images, targets = data.train.take(torch.arange(count))
    arrays = {"x": images.numpy()[:, 0]}  # (N, 28, 28) uint8
    if labels:
        arrays["y"] = targets.numpy().astype(np.int64)
    np.savez(path, **arrays)
    return path


def train_tiny_run(
    run_dir: Path, model_type: str, data: str, evaluation=None, **train_changes
) -> Path:
    """A few optimisation steps of ``model_type`` on ``data``: enough for a checkpoint."""
    run = RunConfig(
        model_type,
        dict(TINY_MODEL),
        DataConfig(spec=data, val_fraction=0.25),
        tiny_train_config(**train_changes),
    )
    if evaluation is None:
        return train(run, run_dir)
    run.evaluation = evaluation
    return train_with_evaluation(run, run_dir)


class PooledPixels(nn.Module):
    """Deterministic toy features: 4x4 average-pooled pixels (16-d); no weights, no logits."""

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, None]:
        return nn.functional.adaptive_avg_pool2d(images, 4).flatten(1), None


def toy_extractor(name: str = "toy", key: str = "toy-0") -> FeatureExtractor:
    return FeatureExtractor(name, PooledPixels(), feature_dim=16, cache_key=key)


@pytest.fixture
def latentforge_home(tmp_path, monkeypatch) -> Path:
    """A private cache root ($LATENTFORGE_HOME) for the test."""
    home = tmp_path / "latentforge-home"
    monkeypatch.setenv("LATENTFORGE_HOME", str(home))
    return home


@pytest.fixture(name="toy_extractor")
def toy_extractor_fixture():
    """Factory: ``toy_extractor(name="toy", key="toy-0")`` -> a 16-d pooled-pixel extractor."""
    return toy_extractor


@pytest.fixture(name="train_tiny_run")
def train_tiny_run_fixture():
    """``train_tiny_run(run_dir, model_type, data, evaluation=None, **train_changes)``."""
    return train_tiny_run


@pytest.fixture(scope="session")
def tiny_npz(tmp_path_factory) -> Path:
    """160 labelled 1x28x28 images (the first of the built-in sample) as an .npz file."""
    return write_tiny_npz(tmp_path_factory.mktemp("data") / "tiny.npz")


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory, tiny_npz) -> dict[str, Path]:
    """A VAE and an AE trained for a few steps on ``tiny_npz`` (read-only: copy to change)."""
    root = tmp_path_factory.mktemp("runs")
    return {kind: train_tiny_run(root / kind, kind, str(tiny_npz)) for kind in ("vae", "ae")}
