"""Input checks and random draws shared by the loss modules."""

from __future__ import annotations

import torch
from torch import Tensor

from latentforge.errors import ShapeError


def require_same_shape(a: Tensor, b: Tensor, a_name: str, b_name: str) -> None:
    """Raise :class:`ShapeError` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ShapeError(
            f"{a_name} has shape {tuple(a.shape)} but {b_name} has shape {tuple(b.shape)}; "
            "pass tensors of the same shape (N, ...)"
        )


def require_batched(x: Tensor, name: str) -> None:
    """Raise :class:`ShapeError` unless ``x`` has a leading batch dimension."""
    if x.ndim < 1 or x.shape[0] == 0:
        raise ShapeError(
            f"{name} has shape {tuple(x.shape)}; pass a non-empty batch of shape (N, ...)"
        )


def sum_per_sample(x: Tensor) -> Tensor:
    """Sum over every dimension but the first: ``(N, ...) -> (N,)``."""
    return x.reshape(x.shape[0], -1).sum(dim=1)  # (N, prod(...)) -> (N,)


def random_like(
    kind: str,
    shape: tuple[int, ...],
    like: Tensor,
    generator: torch.Generator | None,
) -> Tensor:
    """Uniform [0, 1) (``kind="rand"``) or standard normal (``"randn"``) draws of ``shape``.

    The draws come from ``generator`` on its own device (the global RNG when it is ``None``)
    in float32 (float64 for float64 tensors), then placed on ``like``'s device and dtype, so a
    CPU generator gives the same numbers whichever device or precision the tensors use.
    """
    draw = {"rand": torch.rand, "randn": torch.randn}[kind]
    source = generator.device if generator is not None else like.device
    dtype = torch.float64 if like.dtype == torch.float64 else torch.float32
    values = draw(shape, generator=generator, device=source, dtype=dtype)
    return values.to(device=like.device, dtype=like.dtype)
