"""Latent traversal: move one latent coordinate over a range while the others stay fixed.

For a base code z_0, coordinates c = U (z - m) with directions A (``apps.coordinates``: the
latent axes, PCA or ICA directions) and values v_1 .. v_S spanning [low_k, high_k], row k shows

    x_{k,s} = decode(z_0 + (v_s - c_k(z_0)) A[:, k]),

i.e. z_0 with its k-th coordinate set to v_s (for the axes: z_0 with z_k = v_s). If the model
has learned a disentangled code, one row changes one visible attribute (Higgins et al. 2017,
beta-VAE, https://openreview.net/forum?id=Sy2fzU9gl).

Rows are ordered by how much they change the output: the row's path length in image space,
effect_k = sum_s mean |x_{k,s+1} - x_{k,s}| (the summed step changes of
``apps.interpolation``). Dimensions the model does not use (a VAE's collapsed ones) have an
effect near 0 and sink to the bottom.

Spans: :func:`prior_span` gives m_k +- R sigma_k from the model's latent Gaussian (the prior
N(0, I) for a VAE, so -R..R; the Gaussian fitted to the training codes for an autoencoder);
:func:`data_span` gives quantiles of the coordinates of encoded data.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.apps.coordinates import LinearCoordinates
from latentforge.apps.interpolation import step_changes
from latentforge.errors import ConfigError, DataError, ShapeError
from latentforge.models.capabilities import Decodes, Encodes


@dataclass
class Traversal:
    """Rows of a traversal, ordered by effect (largest first)."""

    images: Tensor  # (K, S, C, H, W)
    order: list[int]  # the coordinate shown in each row
    effects: list[float]  # each row's path length (mean absolute pixel change, summed)
    values: Tensor  # (K, S) the coordinate values of each row
    name: str = "axes"

    def grid_images(self) -> Tensor:
        """``(K * S, C, H, W)``: the rows one after another, for ``save_grid(nrow=S)``."""
        return self.images.flatten(0, 1)

    def rows(self) -> list[dict[str, object]]:
        """One record per row: coordinate, effect and the values it takes."""
        return [
            {"coordinate": k, "effect": e, "values": [round(float(v), 6) for v in row]}
            for k, e, row in zip(self.order, self.effects, self.values)
        ]


def check_steps(steps: int) -> None:
    if steps < 2:
        raise ConfigError(f"--steps must be >= 2 (the two ends of the range), got {steps}")


@torch.no_grad()
def traverse(model: Decodes, base: Tensor, directions: Tensor, offsets: Tensor) -> Tensor:
    """``decode(base + offsets[k, s] * directions[k])`` for every k, s: ``(K, S, C, H, W)``.

    ``base``: ``(D,)``; ``directions``: ``(K, D)``; ``offsets``: ``(K, S)``.
    """
    if base.dim() != 1 or directions.dim() != 2 or directions.shape[1] != base.shape[0]:
        raise ShapeError(
            f"traverse needs base (D,) and directions (K, D); got {tuple(base.shape)} and "
            f"{tuple(directions.shape)}"
        )
    if offsets.dim() != 2 or offsets.shape[0] != directions.shape[0]:
        raise ShapeError(f"offsets must be (K, S) with K = {directions.shape[0]}")
    k, s = offsets.shape
    z = base + offsets.unsqueeze(-1) * directions.unsqueeze(1)  # (K, S, D)
    images = model.decode(z.reshape(k * s, -1)).clamp(0.0, 1.0)  # (K * S, C, H, W)
    return images.view(k, s, *images.shape[1:])


def row_effects(frames: Tensor) -> Tensor:
    """Each row's path length ``sum_s mean |x_{s+1} - x_s|``: ``(K, S, C, H, W)`` -> ``(K,)``."""
    return step_changes(frames).sum(1)


@torch.no_grad()
def traversal(
    model: Decodes,
    base: Tensor,
    coordinates: LinearCoordinates,
    low: Tensor,
    high: Tensor,
    steps: int,
    top: int | None = None,
) -> Traversal:
    """Set each coordinate k of ``base`` to ``steps`` values from ``low[k]`` to ``high[k]``;
    rows ordered by effect, the ``top`` strongest kept (all by default)."""
    check_steps(steps)
    k = coordinates.components
    if low.shape != (k,) or high.shape != (k,):
        raise ShapeError(f"low and high must have one value per coordinate ({k})")
    if top is not None and top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    low, high = low.to(base), high.to(base)  # everything on the base code's device
    t = torch.linspace(0.0, 1.0, steps).to(base)  # (S,)
    values = low.unsqueeze(1) + (high - low).unsqueeze(1) * t  # (K, S)
    current = coordinates.coordinates(base.unsqueeze(0))[0]  # (K,)
    offsets = values - current.unsqueeze(1)  # (K, S)
    frames = traverse(model, base, coordinates.directions.to(base), offsets)
    effects = row_effects(frames.float()).cpu()
    order = torch.sort(-effects, stable=True).indices[:top]
    return Traversal(
        images=frames[order.to(frames.device)],
        order=order.tolist(),
        effects=effects[order].tolist(),
        values=values.cpu()[order],
        name=coordinates.name,
    )


def prior_span(model: Encodes, width: float) -> tuple[Tensor, Tensor]:
    """``m +- width * sigma`` per latent dimension of the model's Gaussian N(m, L L^T)."""
    if width <= 0:
        raise ConfigError(f"--range must be positive, got {width}")
    mean, scale_tril = model.latent_prior()
    sigma = scale_tril.square().sum(1).sqrt()  # sqrt(diag(L L^T))
    return (mean - width * sigma).cpu().float(), (mean + width * sigma).cpu().float()


def data_span(coordinates: Tensor, coverage: float = 0.98) -> tuple[Tensor, Tensor]:
    """The central ``coverage`` quantile range of each column of ``(N, K)`` coordinates."""
    if not 0.0 < coverage <= 1.0:
        raise ConfigError(f"coverage must be in (0, 1], got {coverage}")
    if coordinates.dim() != 2 or coordinates.shape[0] < 2:
        raise DataError(
            f"a data range needs at least 2 encoded images, got {tuple(coordinates.shape)}"
        )
    tail = (1.0 - coverage) / 2.0
    q = torch.tensor([tail, 1.0 - tail], dtype=torch.float64)
    bounds = torch.quantile(coordinates.double().cpu(), q, dim=0)  # (2, K)
    return bounds[0].float(), bounds[1].float()
