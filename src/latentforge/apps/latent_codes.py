"""Encode a set of images into latent codes, batch by batch.

An autoencoder gives one code per image (``encode``); a VAE also gives the log-variance of
q(z | x) (``encode_distribution``), which the aggregate-posterior estimates need.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.data.base import ImageSet
from latentforge.data.batching import to_batch
from latentforge.errors import ConfigError, DataError
from latentforge.models.capabilities import Encodes, GivesLikelihood


@dataclass
class EncodedSet:
    """Codes of N images: ``means`` (N, D) and, for a VAE, ``logvars`` (N, D); on the CPU."""

    means: Tensor
    logvars: Tensor | None = None

    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])


def take_images(image_set: ImageSet, indices: list[int] | Tensor, device: torch.device) -> Tensor:
    """The images at ``indices`` as floats in [0, 1] on ``device``, with a clear error for an
    index outside the set."""
    indices = torch.as_tensor(indices, dtype=torch.long).reshape(-1)
    bad = indices[(indices < 0) | (indices >= len(image_set))]
    if bad.numel():
        raise DataError(
            f"image index {int(bad[0])} is outside the split, which has {len(image_set)} images "
            f"(valid: 0..{len(image_set) - 1})"
        )
    return to_batch(*image_set.take(indices), device)["images"]


def _encode_batch(model: Encodes, images: Tensor) -> tuple[Tensor, Tensor | None]:
    if not isinstance(model, GivesLikelihood):
        return model.encode(images).float().cpu(), None
    mu, logvar = model.encode_distribution(images)
    return mu.float().cpu(), logvar.float().cpu()


def _stack(parts: list[tuple[Tensor, Tensor | None]]) -> EncodedSet:
    means = torch.cat([mu for mu, _ in parts])
    logvars = [lv for _, lv in parts if lv is not None]
    return EncodedSet(means, torch.cat(logvars) if len(logvars) == len(parts) else None)


@torch.no_grad()
def encode_images(model: Encodes, images: Tensor, batch_size: int = 256) -> EncodedSet:
    """Codes of images ``(N, C, H, W)`` in [0, 1], ``batch_size`` at a time."""
    return _stack([_encode_batch(model, part) for part in images.split(batch_size)])


@torch.no_grad()
def encode_set(
    model: Encodes,
    image_set: ImageSet,
    max_images: int | None = None,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
) -> EncodedSet:
    """Codes of the first ``max_images`` images of ``image_set`` (all by default)."""
    if max_images is not None and max_images < 2:
        raise ConfigError(f"--max-images must be >= 2, got {max_images}")
    n = len(image_set) if max_images is None else min(len(image_set), max_images)
    if n < 2:
        raise DataError(f"need at least 2 images to study a latent space, the split has {n}")
    device = torch.device(device)
    parts = [
        _encode_batch(
            model, take_images(image_set, torch.arange(i, min(i + batch_size, n)), device)
        )
        for i in range(0, n, batch_size)
    ]
    return _stack(parts)
