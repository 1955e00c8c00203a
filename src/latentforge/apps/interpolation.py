"""Walking between latent vectors: linear and spherical interpolation.

Nearby latents should give similar images, so a walk from z_a to z_b shows whether a model's
latent space is smooth. For Gaussian latents in many dimensions almost all mass lies near the
sphere of radius sqrt(d); the straight line between two such points passes closer to the
origin (its midpoint has norm ~ sqrt(d / 2)), where the model saw few latents during training.
Spherical interpolation (slerp; Shoemake 1985, https://doi.org/10.1145/325165.325242,
recommended for generative models by White 2016, https://arxiv.org/abs/1609.04468) follows
the great circle instead and keeps the norm when |z_a| = |z_b|:

    lerp(a, b; t)  = (1 - t) a + t b
    slerp(a, b; t) = sin((1 - t) W) / sin W * a + sin(t W) / sin W * b,
                     W = arccos(<a, b> / (|a| |b|)),

falling back to lerp where a and b are (nearly) parallel, sin W ~ 0.

A model can be walked when it has ``sample_latent(n, generator)`` and ``decode(z)``
(:class:`LatentModel`); GANs do, and the same functions serve latent codes of autoencoders.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from latentforge.errors import ConfigError, ShapeError

PARALLEL_EPS = 1e-6


@runtime_checkable
class LatentModel(Protocol):
    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor: ...

    def decode(self, z: Tensor) -> Tensor: ...


def _check_pair(a: Tensor, b: Tensor) -> None:
    if a.shape != b.shape:
        raise ShapeError(f"cannot interpolate between shapes {tuple(a.shape)} and {tuple(b.shape)}")


def _weights(t: Tensor | float, like: Tensor) -> Tensor:
    """``t`` as a tensor broadcastable against ``like``'s batch of vectors."""
    return torch.as_tensor(t, dtype=like.dtype, device=like.device).unsqueeze(-1)


def lerp(a: Tensor, b: Tensor, t: Tensor | float) -> Tensor:
    """``(1 - t) a + t b`` for vectors ``(..., D)`` and ``t`` scalar or ``(...)``."""
    _check_pair(a, b)
    w = _weights(t, a)
    return (1.0 - w) * a + w * b


def slerp(a: Tensor, b: Tensor, t: Tensor | float) -> Tensor:
    """Spherical interpolation along the last dimension (see the module docstring)."""
    _check_pair(a, b)
    w = _weights(t, a)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0).unsqueeze(-1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    parallel = sin.abs() < PARALLEL_EPS
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    spherical = (torch.sin((1.0 - w) * omega) * a + torch.sin(w * omega) * b) / safe
    return torch.where(parallel, (1.0 - w) * a + w * b, spherical)


def walk(a: Tensor, b: Tensor, steps: int, spherical: bool = False) -> Tensor:
    """``steps`` evenly spaced points from ``a`` to ``b`` (both ends included).

    ``a``, ``b``: ``(R, D)`` (R walks) -> ``(R, steps, D)``.
    """
    if steps < 2:
        raise ConfigError(f"a walk needs at least 2 steps (its two ends), got {steps}")
    _check_pair(a, b)
    if a.dim() != 2:
        raise ShapeError(f"walk takes latents shaped (R, D), got {tuple(a.shape)}")
    t = torch.linspace(0.0, 1.0, steps, dtype=a.dtype, device=a.device)  # (steps,)
    a_, b_ = a.unsqueeze(1).expand(-1, steps, -1), b.unsqueeze(1).expand(-1, steps, -1)
    return (slerp if spherical else lerp)(a_, b_, t.expand(a.shape[0], steps))


@torch.no_grad()
def interpolation_strip(
    model: LatentModel,
    rows: int,
    steps: int,
    spherical: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Images ``(rows * steps, C, H, W)``: row r walks between two random latents of ``model``."""
    if rows < 1:
        raise ConfigError(f"--rows must be >= 1, got {rows}")
    ends = model.sample_latent(2 * rows, generator)  # (2R, D)
    path = walk(ends[:rows], ends[rows:], steps, spherical)  # (R, steps, D)
    images = model.decode(path.reshape(rows * steps, -1))  # (R * steps, D) -> images
    return images.clamp(0.0, 1.0)
