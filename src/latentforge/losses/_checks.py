"""Input checks and random draws shared by the loss modules."""

from __future__ import annotations

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
