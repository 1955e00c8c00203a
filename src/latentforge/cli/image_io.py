"""Reading single images for the verbs that process a user's pictures (upscale, inpaint)."""

from __future__ import annotations

from pathlib import Path

import torch

from latentforge.data.image_files import IMAGE_SUFFIXES, decode_image
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError


def read_image(path: Path, channels: int, what: str = "image") -> torch.Tensor:
    """The image at ``path`` as ``(1, channels, H, W)`` float in [0, 1] (grey <-> RGB converted)."""
    if not path.is_file():
        raise DataError(f"{what} {path} does not exist; check the path")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise DataError(
            f"{what} {path} is not an image file; use one of: {', '.join(sorted(IMAGE_SUFFIXES))}"
        )
    pixels = decode_image(path, ImageTransform.from_options(None, channels))  # (C, H, W) uint8
    return pixels[None].float() / 255.0


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
