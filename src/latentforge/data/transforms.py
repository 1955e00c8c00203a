"""Resizing and channel conversion of ``uint8`` image batches, applied after any source is read.

* Resize: bilinear interpolation with an antialiasing (triangle) filter when shrinking, the
  filter PIL uses for ``Image.resize(..., BILINEAR)``; results are rounded back to ``uint8``.
* RGB -> grey: the ITU-R 601-2 luma transform ``L = 0.299 R + 0.587 G + 0.114 B``, rounded half
  up (computed exactly in integers as ``(299 R + 587 G + 114 B + 500) // 1000``).
* Grey -> RGB: the grey value repeated in all three channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from latentforge.errors import ConfigError

SUPPORTED_CHANNELS = (1, 3)
_LUMA_PER_MILLE = (299, 587, 114)  # ITU-R 601-2, in thousandths
_CHUNK = 4096  # images per step when a whole set is transformed: bounds the float temporaries


def resize_images(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``uint8 (N, C, H, W)`` -> ``uint8 (N, C, *size)``; antialiased when shrinking."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    resized = F.interpolate(
        images.float(), size=size, mode="bilinear", align_corners=False, antialias=True
    )
    return resized.round_().clamp_(0, 255).to(torch.uint8)


def rgb_to_gray(images: torch.Tensor) -> torch.Tensor:
    """``uint8 (N, 3, H, W)`` -> ``uint8 (N, 1, H, W)`` with ITU-R 601-2 luma, rounded half up."""
    weights = torch.tensor(_LUMA_PER_MILLE, dtype=torch.int32).view(1, 3, 1, 1)
    luma = (images.to(torch.int32) * weights).sum(dim=1, keepdim=True)  # (N, 1, H, W), x1000
    return torch.div(luma + 500, 1000, rounding_mode="floor").to(torch.uint8)


def gray_to_rgb(images: torch.Tensor) -> torch.Tensor:
    """``uint8 (N, 1, H, W)`` -> ``uint8 (N, 3, H, W)`` by repeating the grey channel."""
    return images.expand(-1, 3, -1, -1).contiguous()


def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """Convert ``uint8 (N, C, H, W)`` between 1 and 3 channels (no-op when already ``channels``)."""
    have = images.shape[1]
    if have == channels:
        return images
    return rgb_to_gray(images) if channels == 1 else gray_to_rgb(images)


def _check_size(image_size: int | tuple[int, int] | list[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, int):
        sizes: tuple = (image_size, image_size)
    else:
        sizes = tuple(image_size) if isinstance(image_size, (tuple, list)) else ()
    if len(sizes) != 2 or any(isinstance(s, bool) or not isinstance(s, int) for s in sizes):
        raise ConfigError(
            f"image_size must be an int or a (height, width) pair of ints; got {image_size!r} "
            "(for example --image-size 32)"
        )
    if min(sizes) <= 0:
        raise ConfigError(f"image_size must be positive; got {image_size!r} (e.g. --image-size 32)")
    return (int(sizes[0]), int(sizes[1]))


def _check_channels(channels: int | None) -> int | None:
    if channels is None:
        return None
    if isinstance(channels, bool) or channels not in SUPPORTED_CHANNELS:
        raise ConfigError(
            f"channels must be 1 (grey) or 3 (RGB); got {channels!r} (use --channels 1 or 3)"
        )
    return int(channels)


@dataclass(frozen=True)
class ImageTransform:
    """Target ``size`` (height, width) and ``channels``; ``None`` keeps what the source has."""

    size: tuple[int, int] | None = None
    channels: int | None = None

    @classmethod
    def from_options(
        cls, image_size: int | tuple[int, int] | None = None, channels: int | None = None
    ) -> ImageTransform:
        """Validate user options (``ConfigError`` on bad values) and build the transform."""
        return cls(size=_check_size(image_size), channels=_check_channels(channels))

    def output_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """The ``(C, H, W)`` an image of ``shape`` has after this transform."""
        channels, height, width = shape
        height, width = self.size or (height, width)
        return (self.channels or channels, height, width)

    def changes(self, shape: tuple[int, int, int]) -> bool:
        return self.output_shape(shape) != tuple(shape)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """``uint8 (N, C, H, W)`` -> ``uint8 (N, C', H', W')``.

        Going to grey converts before resizing and going to RGB after, so the resize always
        works on as few channels as possible.
        """
        channels = self.channels or images.shape[1]
        if channels < images.shape[1]:
            images = convert_channels(images, channels)
        if self.size is not None:
            images = resize_images(images, self.size)
        return convert_channels(images, channels)

    def apply_in_chunks(self, images: torch.Tensor, chunk: int = _CHUNK) -> torch.Tensor:
        """Transform a whole set, a chunk at a time, into one preallocated ``uint8`` tensor."""
        out_shape = self.output_shape(tuple(images.shape[1:]))
        if out_shape == tuple(images.shape[1:]):
            return images
        out = torch.empty((images.shape[0], *out_shape), dtype=torch.uint8)
        for start in range(0, images.shape[0], chunk):
            out[start : start + chunk] = self(images[start : start + chunk])
        return out
