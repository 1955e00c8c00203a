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

A model can be walked between prior points when it declares
:class:`~latentforge.models.capabilities.Decodes` (``sample_latent(n, generator)`` and
``decode(z)``: GANs, autoencoders, VAEs), and between two input images when it declares
:class:`~latentforge.models.capabilities.Encodes` (also ``encode(images)``: autoencoders and
VAEs, whose code is the posterior mean).

Smoothness. With frames x_0 .. x_{S-1} of one walk and the per-step change
d_s = mean |x_{s+1} - x_s| (mean absolute pixel difference),

    mean step      = mean_s d_s
    path ratio     = sum_s d_s / mean |x_{S-1} - x_0|      (>= 1; 1 for a pure cross-fade)
    largest share  = max_s d_s / sum_s d_s                  (1 / (S-1) when all steps are equal,
                                                             1 when one step does all the change)

A smooth latent space gives small, even steps: a path ratio near 1 and a largest share near
1 / (S-1). A jump between two modes shows up as a largest share near 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor

from latentforge.errors import ConfigError, ShapeError
from latentforge.models.capabilities import Decodes, Encodes

PARALLEL_EPS = 1e-6


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
def decode_walks(
    model: Decodes, a: Tensor, b: Tensor, steps: int, spherical: bool = False
) -> Tensor:
    """Frames ``(R, steps, C, H, W)`` in [0, 1]: the decoded walks from latents ``a`` to ``b``
    (each ``(R, D)``)."""
    path = walk(a, b, steps, spherical)  # (R, steps, D)
    images = model.decode(path.reshape(-1, a.shape[1])).clamp(0.0, 1.0)  # (R * steps, C, H, W)
    return images.view(a.shape[0], steps, *images.shape[1:])


@torch.no_grad()
def input_walks(
    model: Encodes, images_a: Tensor, images_b: Tensor, steps: int, spherical: bool = False
) -> Tensor:
    """Frames ``(R, steps, C, H, W)`` between the codes of two batches of input images."""
    if images_a.shape != images_b.shape:
        raise ShapeError(
            f"the two ends of the walks differ in shape: {tuple(images_a.shape)} and "
            f"{tuple(images_b.shape)}; give the same number of images of one size"
        )
    codes = model.encode(torch.cat([images_a, images_b]))  # (2R, D)
    rows = images_a.shape[0]
    return decode_walks(model, codes[:rows], codes[rows:], steps, spherical)


@torch.no_grad()
def prior_walks(
    model: Decodes,
    rows: int,
    steps: int,
    spherical: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Frames ``(rows, steps, C, H, W)``: row r walks between two random latents of ``model``
    (draws 0..R-1 are the starts, R..2R-1 the ends)."""
    if rows < 1:
        raise ConfigError(f"--rows must be >= 1, got {rows}")
    ends = model.sample_latent(2 * rows, generator)  # (2R, D)
    return decode_walks(model, ends[:rows], ends[rows:], steps, spherical)


def interpolation_strip(
    model: Decodes,
    rows: int,
    steps: int,
    spherical: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """:func:`prior_walks` as one batch of images ``(rows * steps, C, H, W)``."""
    return prior_walks(model, rows, steps, spherical, generator).flatten(0, 1)


def step_changes(frames: Tensor) -> Tensor:
    """Mean absolute change between consecutive frames: ``(R, S, C, H, W)`` -> ``(R, S - 1)``."""
    if frames.dim() != 5 or frames.shape[1] < 2:
        raise ShapeError(
            "step changes need frames shaped (rows, steps >= 2, C, H, W), got "
            f"{tuple(frames.shape)}"
        )
    return (frames[:, 1:] - frames[:, :-1]).abs().flatten(2).mean(2)


@dataclass(frozen=True)
class Smoothness:
    """How evenly a walk's output changes (see the module docstring); means over the walks."""

    mean_step: float
    endpoint_change: float
    path_ratio: float
    largest_share: float
    steps: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def smoothness(frames: Tensor) -> Smoothness:
    """The smoothness of walks ``(R, S, C, H, W)``: mean step, endpoint change, path ratio and
    the largest step's share of the path, each averaged over the R walks."""
    changes = step_changes(frames.float())  # (R, S - 1)
    path = changes.sum(1)  # (R,)
    direct = (frames[:, -1] - frames[:, 0]).float().abs().flatten(1).mean(1)  # (R,)
    tiny = torch.finfo(torch.float32).tiny
    return Smoothness(
        mean_step=float(changes.mean()),
        endpoint_change=float(direct.mean()),
        path_ratio=float((path / direct.clamp_min(tiny)).mean()),
        largest_share=float((changes.max(1).values / path.clamp_min(tiny)).mean()),
        steps=int(frames.shape[1]),
    )
