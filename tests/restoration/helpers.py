"""Tiny restoration models and short engine runs."""

from __future__ import annotations

from pathlib import Path

import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.models import SRGAN, Inpainting, InpaintingConfig, SRGANConfig
from latentforge.training.engine import Trainer
from tests.models import gan_helpers

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
    """``gan_helpers.run_engine`` on the CPU, on ``blob_bundle()`` by default."""
    return gan_helpers.run_engine(
        model, run_dir, data or blob_bundle(), **{"device": "cpu", **train}
    )
