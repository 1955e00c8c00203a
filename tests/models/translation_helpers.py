"""Tiny image-pair data for translation model tests."""

from __future__ import annotations

import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.data.pairs import stack_pair

from .gan_helpers import blob_images


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
