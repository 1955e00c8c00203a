"""Corruptions for denoising: ``--noise gaussian:0.3``, ``salt-pepper:0.2`` or ``mask:0.25``.

A denoising autoencoder (Vincent, Larochelle, Bengio & Manzagol 2008, "Extracting and Composing
Robust Features with Denoising Autoencoders", https://doi.org/10.1145/1390156.1390294) is trained
to map a corrupted copy x~ ~ q(x~ | x) back to the clean image x. The corruptions q here act on
images in [0, 1], shaped (N, C, H, W), and keep them in [0, 1]:

``gaussian:SIGMA``
    x~ = clip(x + SIGMA * eps, 0, 1), eps ~ N(0, I) drawn independently for every value
    (every channel of every pixel).
``salt-pepper:P``
    each pixel (all of its channels together) is hit with probability P; a hit pixel becomes
    1 (salt) or 0 (pepper) with equal odds. The fraction of hit pixels is P in expectation.
``mask:P``
    each pixel (all channels together) is set to 0 with probability P, independently
    (pixel dropout, the "masking noise" of Vincent et al. 2008; not square patches).

Every draw comes from an explicit ``torch.Generator`` when one is given, else from the global
torch RNG on the images' device. Training uses the global RNG, whose state the engine saves
in each checkpoint, so a resumed run draws the same corruptions as an unbroken one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from latentforge.errors import ConfigError, ShapeError
from latentforge.registry import Registry
from latentforge.utils.seeding import random_like

Batch = dict[str, Tensor]
SPEC_FORM = "NAME:VALUE, e.g. gaussian:0.3, salt-pepper:0.2 or mask:0.25"


class Corruption(Protocol):
    """A random map from clean images (N, C, H, W) in [0, 1] to corrupted ones of that shape."""

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor: ...


def _check_images(images: Tensor) -> None:
    if images.dim() != 4 or not images.is_floating_point():
        raise ShapeError(
            f"corruptions take float images shaped (N, C, H, W) in [0, 1]; got {images.dtype} "
            f"{tuple(images.shape)}"
        )


def _pixel_uniforms(images: Tensor, generator: torch.Generator | None) -> Tensor:
    """One U[0, 1) draw per pixel, shared by its channels: shape (N, 1, H, W)."""
    n, _, h, w = images.shape
    return random_like("rand", (n, 1, h, w), images, generator)


@dataclass(frozen=True)
class GaussianNoise:
    """x~ = clip(x + sigma * eps, 0, 1), eps ~ N(0, I) per value."""

    sigma: float

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        _check_images(images)
        noise = random_like("randn", tuple(images.shape), images, generator)
        return (images + self.sigma * noise).clamp(0.0, 1.0)

    def __str__(self) -> str:
        return f"gaussian:{self.sigma:g}"


@dataclass(frozen=True)
class SaltPepper:
    """Each pixel: 1 with probability p/2, 0 with probability p/2, unchanged otherwise.

    One uniform u per pixel decides both: u < p/2 is salt, p/2 <= u < p is pepper.
    """

    fraction: float

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        _check_images(images)
        u = _pixel_uniforms(images, generator)  # (N, 1, H, W), broadcast over channels
        salt = u < self.fraction / 2
        pepper = (u >= self.fraction / 2) & (u < self.fraction)
        out = images.masked_fill(salt, 1.0)
        return out.masked_fill(pepper, 0.0)

    def __str__(self) -> str:
        return f"salt-pepper:{self.fraction:g}"


@dataclass(frozen=True)
class PixelMask:
    """Each pixel set to 0 (all channels) with probability p, independently."""

    fraction: float

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        _check_images(images)
        return images.masked_fill(_pixel_uniforms(images, generator) < self.fraction, 0.0)

    def __str__(self) -> str:
        return f"mask:{self.fraction:g}"


def _probability(name: str, value: float, spec: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(
            f"--noise {spec!r}: the {name} fraction must be in [0, 1], got {value:g} "
            f"(e.g. {name}:0.2)"
        )
    return value


def _sigma(value: float, spec: str) -> float:
    if value < 0.0:
        raise ConfigError(
            f"--noise {spec!r}: the Gaussian sigma must be >= 0, got {value:g} (e.g. gaussian:0.3)"
        )
    return value


CORRUPTIONS: Registry[Callable[[float, str], Corruption]] = Registry("corruption")
"""``name -> factory(value, spec)``: the corruptions ``--noise`` accepts."""
CORRUPTIONS.add("gaussian", lambda value, spec: GaussianNoise(_sigma(value, spec)))
CORRUPTIONS.add(
    "salt-pepper", lambda value, spec: SaltPepper(_probability("salt-pepper", value, spec))
)
CORRUPTIONS.add("mask", lambda value, spec: PixelMask(_probability("mask", value, spec)))


def parse_corruption(spec: str) -> Corruption:
    """The corruption a ``NAME:VALUE`` spec names (``ConfigError`` naming the problem if bad)."""
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise ConfigError(f"--noise {spec!r} is not of the form {SPEC_FORM}")
    name, text = (part.strip() for part in spec.split(":"))
    if name not in CORRUPTIONS:
        raise ConfigError(
            f"--noise {spec!r}: unknown corruption {name!r}; choose one of: "
            f"{', '.join(CORRUPTIONS.names())} ({SPEC_FORM})"
        )
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--noise {spec!r}: {text!r} is not a number ({SPEC_FORM})") from None
    if not math.isfinite(value):
        raise ConfigError(f"--noise {spec!r}: the value must be finite ({SPEC_FORM})")
    return CORRUPTIONS.get(name)(value, spec)


@dataclass(frozen=True)
class CorruptInputs:
    """Batch transform for denoising: ``batch["inputs"] = corruption(batch["images"])``.

    The clean ``batch["images"]`` stay in the batch as the reconstruction target.
    """

    corruption: Corruption
    generator: torch.Generator | None = None

    def __call__(self, batch: Batch) -> Batch:
        return {**batch, "inputs": self.corruption(batch["images"], self.generator)}


def corruption_transform(spec: str | None) -> CorruptInputs | None:
    """The batch transform for a ``--noise`` spec (``None`` when there is no spec)."""
    return None if spec is None else CorruptInputs(parse_corruption(spec))
