"""Tiny restoration models and short engine runs."""

from __future__ import annotations

from pathlib import Path

import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.models import SRGAN, Inpainting, InpaintingConfig, SRGANConfig
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer

TINY_SR = {"width": 8, "blocks": 1, "d_channels": (8, 16)}
TINY_INPAINT = {"g_widths": (4, 8), "dilations": (2,), "d_channels": (8, 16, 16)}


def tiny_srgan(**options) -> SRGAN:
    return SRGAN(SRGANConfig(**{**TINY_SR, **options}))


def tiny_inpainting(**options) -> Inpainting:
    return Inpainting(InpaintingConfig(**{**TINY_INPAINT, **options}))


def blob_bundle(n: int = 48, size=(28, 28), val: int = 16) -> DataBundle:
    """uint8 images: a bright 8x8 square at a seeded place on a soft gradient."""
    generator = torch.Generator().manual_seed(0)
    h, w = size
    base = torch.linspace(0, 90, w).expand(n + val, 1, h, w).clone()
    corners = torch.randint(0, min(h, w) - 8, (n + val, 2), generator=generator)
    for i, (top, left) in enumerate(corners.tolist()):
        base[i, :, top : top + 8, left : left + 8] = 230
    images = base.round().to(torch.uint8)
    return DataBundle("blobs", TensorImageSet(images[:n]), TensorImageSet(images[n:]))


def run_engine(model, run_dir: Path, data: DataBundle | None = None, **train) -> Trainer:
    settings = {
        "epochs": 1,
        "batch_size": 16,
        "log_every": 1,
        "num_workers": 0,
        "progress": False,
        "tensorboard": False,
        "device": "cpu",
        **train,
    }
    trainer = Trainer(model, data or blob_bundle(), TrainConfig(**settings), run_dir, DistContext())
    trainer.fit()
    return trainer
