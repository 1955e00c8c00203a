"""Every random draw goes through a seed or an explicit ``torch.Generator``."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) for a reproducible run."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_generator(seed: int | None, device: str | torch.device = "cpu") -> torch.Generator | None:
    """A ``torch.Generator`` seeded with ``seed``, or ``None`` when ``seed`` is ``None``."""
    if seed is None:
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def random_draw(
    kind: str,
    shape: tuple[int, ...],
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Uniform [0, 1) (``kind="rand"``) or standard normal (``"randn"``) draws of ``shape``.

    The draws come from ``generator`` on its own device (the global RNG when it is ``None``)
    in float32 (float64 for float64), then move to ``device`` and ``dtype``: a CPU generator
    gives the same numbers whichever device or precision the model uses.
    """
    draw = {"rand": torch.rand, "randn": torch.randn}[kind]
    source = generator.device if generator is not None else device
    draw_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    values = draw(shape, generator=generator, device=source, dtype=draw_dtype)
    return values.to(device=device, dtype=dtype)


def randn(
    shape: tuple[int, ...],
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Standard normal draws from ``generator`` (on its own device), placed on ``device``."""
    return random_draw("randn", shape, generator, device, dtype)


def random_like(
    kind: str, shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """``random_draw`` on the device and dtype of ``like``."""
    return random_draw(kind, shape, generator, like.device, like.dtype)
