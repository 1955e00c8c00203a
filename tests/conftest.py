"""Shared fixtures: small real data (the built-in Fashion-MNIST sample) and fast options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latentforge.data import load_data
from latentforge.data.base import DataBundle
from latentforge.training.config import TrainConfig


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
def tiny_npz(tmp_path: Path, sample_bundle: DataBundle) -> Path:
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
