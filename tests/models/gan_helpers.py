"""Tiny data and short engine runs for GAN tests (seconds, not minutes)."""

from __future__ import annotations

from pathlib import Path

import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.models.adversarial import AdversarialModel
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from tests.conftest import one_thread


def blob_images(n: int = 64, size: int = 12, channels: int = 1, seed: int = 0) -> torch.Tensor:
    """uint8 ``(n, C, size, size)``: a bright square at a random place on a dark background,
    so real images are varied (distinct positions) yet easy to tell from noise."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, channels, size, size, dtype=torch.uint8)
    corners = torch.randint(0, size - 4, (n, 2), generator=generator)
    for i, (top, left) in enumerate(corners.tolist()):
        images[i, :, top : top + 4, left : left + 4] = 255
    return images


def tiny_bundle(n: int = 64, size: int = 12, channels: int = 1) -> DataBundle:
    return DataBundle("blobs", TensorImageSet(blob_images(n, size, channels)))


def engine_config(**changes: object) -> TrainConfig:
    """Quiet, fast engine settings for tiny runs: one epoch of batches of 16, every step logged,
    no progress bar, TensorBoard or loader workers; ``changes`` override them."""
    settings = {
        "epochs": 1,
        "batch_size": 16,
        "log_every": 1,
        "num_workers": 0,
        "progress": False,
        "tensorboard": False,
    }
    return TrainConfig(**{**settings, **changes})


def run_engine(
    model: AdversarialModel, run_dir: Path, data: DataBundle | None = None, **train: object
) -> Trainer:
    """Train ``model`` on ``data`` (default: tiny blobs) with ``engine_config(**train)``."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    trainer = Trainer(model, data or tiny_bundle(), engine_config(**train), run_dir, DistContext())
    with one_thread():
        trainer.fit()
    return trainer
