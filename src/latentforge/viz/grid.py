"""Image grids: tile a batch of images into one picture and save it as PNG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from latentforge.errors import ShapeError
from latentforge.utils.files import atomic_write


def make_grid(
    images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0
) -> Tensor:
    """Tile ``(N, C, H, W)`` images in [0, 1] into one ``(C, H', W')`` image, ``nrow`` per row."""
    if images.dim() != 4:
        raise ShapeError(f"a grid needs images shaped (N, C, H, W), got {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, int(math.ceil(math.sqrt(n))))
    rows = int(math.ceil(n / nrow))
    grid = torch.full(
        (c, rows * (h + padding) + padding, nrow * (w + padding) + padding),
        pad_value,
        dtype=torch.float32,
    )
    images = images.detach().float().cpu().clamp(0, 1)
    for index in range(n):
        r, col = divmod(index, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top : top + h, left : left + w] = images[index]
    return grid


def to_pil(image: Tensor) -> Image.Image:
    """``(C, H, W)`` in [0, 1] -> a PIL image (grey for one channel, RGB for three)."""
    array = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    if array.shape[2] == 1:
        return Image.fromarray(np.ascontiguousarray(array[:, :, 0]), mode="L")
    return Image.fromarray(np.ascontiguousarray(array[:, :, :3]), mode="RGB")


def save_image(image: Tensor, path: str | Path, scale: int = 1) -> Path:
    """Save ``(C, H, W)`` in [0, 1] as a PNG atomically, optionally enlarged ``scale`` times."""
    picture = to_pil(image)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))


def save_grid(images: Tensor, path: str | Path, nrow: int | None = None, scale: int = 1) -> Path:
    return save_image(make_grid(images, nrow), path, scale)


def interleave_rows(*groups: Tensor, per_row: int = 8) -> Tensor:
    """Rows of ``per_row`` images of the first group, each followed by the matching rows of the
    other groups (all of one shape).

    Used for reconstruction grids (originals above their reconstructions) and for restoration
    grids (input, output and target rows).
    """
    return interleave_groups(groups, per_row)


def interleave_groups(groups: Sequence[Tensor], per_row: int = 8) -> Tensor:
    """A row of ``per_row`` images from each group in turn, then the next rows of each.

    For ``[noisy, denoised, clean]``: a noisy row, the same images denoised, then clean, ...
    Only whole rows are kept (all of the images when there are fewer than ``per_row``).
    """
    first = groups[0]
    for other in groups[1:]:
        if other.shape != first.shape:
            raise ShapeError(f"cannot interleave {tuple(first.shape)} with {tuple(other.shape)}")
    n = (first.shape[0] // per_row) * per_row or first.shape[0]
    per_row = min(per_row, n)
    stacked = torch.stack([g[:n] for g in groups])  # (G, n, C, H, W)
    stacked = stacked.view(len(groups), n // per_row, per_row, *first.shape[1:]).transpose(
        0, 1
    )  # (rows, G, per_row, ...)
    return stacked.reshape(-1, *first.shape[1:])
