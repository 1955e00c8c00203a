"""Tiny image-pair data for translation model tests."""

from __future__ import annotations

import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.data.pairs import stack_pair

from .gan_helpers import blob_images

# the smallest translation models on 12x12 images
TINY_PIX2PIX = {"image_size": (12, 12), "g_channels": (4, 8), "d_channels": (4, 8), "dropout": 0.0}
TINY_CYCLEGAN = {
    "image_size": (12, 12),
    "g_channels": (4, 8),
    "residual_blocks": 1,
    "d_channels": (4, 8),
    "pool_size": 0,
}


def pair_bundle(
    n: int = 48, size: int = 12, channels: int = 1, layout: str = "paired"
) -> DataBundle:
    """Pairs (blob, its mirror image): a target the source determines, as pix2pix needs."""
    sources = blob_images(n + 16, size, channels)
    pairs = stack_pair(sources, sources.flip(-1))
    return DataBundle(
        "blob-pairs",
        TensorImageSet(pairs[:n]),
        TensorImageSet(pairs[n:]),
        extra={"layout": layout, "pair_channels": str(channels)},
    )


def pair_batch(n: int = 8, size: int = 12, channels: int = 1) -> dict[str, torch.Tensor]:
    return {"images": pair_bundle(n, size, channels).train.images.float() / 255.0}
