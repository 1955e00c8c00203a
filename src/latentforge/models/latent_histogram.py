r"""Per-dimension histograms of latent codes and the DB-VAE's debiasing weights.

The DB-VAE (Amini et al., AIES 2019, https://doi.org/10.1145/3306618.3314243) estimates
the density of the training data in latent space with one histogram per latent dimension,
fitted to the encoder means ``z`` of the training images:

.. math::  \hat Q_i(b) = \frac{\#\{n : z_{n,i} \in \text{bin } b \text{ of dimension } i\}}{N},

a fraction (each histogram sums to 1 over its bins), so ``alpha`` below has the same
meaning whatever the scale of a latent dimension. The bins of dimension i are ``bins``
equal-width intervals from the smallest to the largest fitted value, as
``numpy.histogram(z[:, i], bins)`` makes them. An image is then drawn with probability

.. math::  W(x) \propto \prod_i \frac{1}{\hat Q_i(z_i(x)) + \alpha},

which favours images in rare latent regions. ``alpha`` sets how strongly: at 0 the weight
is the inverse of the estimated density, and as alpha grows the weights tend to uniform.
The product is taken as a sum of logarithms and normalised with a softmax, so it neither
overflows nor underflows for many dimensions.

A product over D dimensions compounds: with fractions as small as 1/N in a tail bin, a few
images can take almost all the weight (measured in ``docs/guides/debiasing.md``). The
``"max"`` combination is the variant of the authors' public course code (MIT 6.S191,
lab 2): each dimension's weights are normalised on their own and an image takes its largest,

.. math::  W(x) \propto \max_i \frac{w_i(x)}{\sum_{x'} w_i(x')}, \qquad
           w_i(x) = \frac{1}{\hat Q_i(z_i(x)) + \alpha},

so an image is favoured for being rare in *some* dimension, and the weights stay spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.errors import ConfigError, ShapeError

COMBINATIONS = ("product", "max")
# alpha when none is given: the product compounds over dimensions and needs a larger one
# (measured in docs/benchmarks/debiasing.md).
DEFAULT_ALPHA = {"product": 1.0, "max": 0.01}


def check_histogram_options(bins: int, alpha: float, combine: str = "product") -> None:
    """Raise :class:`ConfigError` unless ``bins >= 1``, ``alpha`` is finite and ``>= 0`` and
    ``combine`` is one of :data:`COMBINATIONS`."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ConfigError(f"--bins must be an integer >= 1, got {bins!r}")
    if combine not in COMBINATIONS:
        raise ConfigError(f"--combine must be one of {', '.join(COMBINATIONS)}, got {combine!r}")
    if not isinstance(alpha, int | float) or not math.isfinite(alpha) or alpha < 0:
        raise ConfigError(
            "--alpha must be a finite number >= 0 (0: weights = 1 / density; larger: "
            f"closer to uniform), got {alpha!r}"
        )


def _check_codes(z: Tensor, what: str) -> None:
    if z.dim() != 2 or z.shape[0] == 0:
        raise ShapeError(f"{what} must be latent codes shaped (N, D) with N >= 1, got {z.shape}")


@dataclass
class LatentHistogram:
    """One histogram per latent dimension.

    Attributes:
        edges: ``(D, bins + 1)`` bin edges per dimension (float64).
        fractions: ``(D, bins)`` share of the fitted codes in each bin; rows sum to 1.
    """

    edges: Tensor
    fractions: Tensor

    @property
    def bins(self) -> int:
        return int(self.fractions.shape[1])

    @classmethod
    def fit(cls, z: Tensor, bins: int) -> LatentHistogram:
        """Fit ``bins`` equal-width bins per dimension to codes ``z`` ``(N, D)``.

        Like ``numpy.histogram``: the range is [min, max] of each dimension (widened to
        [v - 0.5, v + 0.5] where all values equal v), the last bin includes its right edge.
        """
        check_histogram_options(bins, 0.0)
        _check_codes(z, "the codes to fit")
        z = z.detach().to("cpu", torch.float64)
        low, high = z.min(dim=0).values, z.max(dim=0).values
        flat = low == high
        low, high = torch.where(flat, low - 0.5, low), torch.where(flat, high + 0.5, high)
        edges = torch.stack(
            [
                torch.linspace(lo.item(), hi.item(), bins + 1, dtype=torch.float64)
                for lo, hi in zip(low, high)
            ]
        )  # (D, bins + 1)
        histogram = cls(edges, torch.zeros(z.shape[1], bins, dtype=torch.float64))
        index = histogram.bin_index(z)  # (N, D)
        counts = torch.zeros_like(histogram.fractions).scatter_add_(
            1, index.T, torch.ones_like(index.T, dtype=torch.float64)
        )  # (D, bins)
        histogram.fractions = counts / z.shape[0]
        return histogram

    def bin_index(self, z: Tensor) -> Tensor:
        """The bin of each code in each dimension, ``(N, D)`` int64 in ``[0, bins)``.

        Values outside the fitted range fall in the first or the last bin.
        """
        _check_codes(z, "the codes")
        if z.shape[1] != self.edges.shape[0]:
            raise ShapeError(
                f"codes have {z.shape[1]} dimensions but the histogram was fitted to "
                f"{self.edges.shape[0]}"
            )
        per_dim = z.detach().to("cpu", torch.float64).T.contiguous()  # (D, N)
        inner = self.edges[:, 1:-1].contiguous()  # (D, bins - 1); a value on an edge opens a bin
        return torch.stack(
            [torch.bucketize(values, edges, right=True) for values, edges in zip(per_dim, inner)],
            dim=1,
        )  # (N, D)

    def fractions_at(self, z: Tensor) -> Tensor:
        """Q_i(z_i) for each code and dimension: ``(N, D)``."""
        return torch.gather(self.fractions.T, 0, self.bin_index(z))  # fractions.T: (bins, D)

    def log_density(self, z: Tensor) -> Tensor:
        """sum_i log Q_i(z_i) per code ``(N,)``: the log of the product-of-marginals estimate
        (``-inf`` for a code in an empty bin)."""
        return torch.log(self.fractions_at(z)).sum(dim=1)

    def debiasing_weights(self, z: Tensor, alpha: float, combine: str = "product") -> Tensor:
        """Weights ``(N,)`` (float64, summing to 1) from w_i = 1 / (Q_i(z_i) + alpha):
        their product over dimensions (``"product"``) or the largest of the per-dimension
        normalised w_i (``"max"``); see the module docstring."""
        check_histogram_options(self.bins, alpha, combine)
        smoothed = (self.fractions_at(z) + alpha).clamp_min(torch.finfo(torch.float64).tiny)
        if combine == "product":
            return torch.softmax(-torch.log(smoothed).sum(dim=1), dim=0)
        per_dim = 1.0 / smoothed  # (N, D)
        largest = (per_dim / per_dim.sum(dim=0, keepdim=True)).max(dim=1).values
        return largest / largest.sum()


def resampling_probabilities(
    z: Tensor, positive: Tensor | None, bins: int, alpha: float, combine: str = "product"
) -> tuple[Tensor, LatentHistogram]:
    """Probabilities ``(N,)`` (summing to 1) of drawing each training image, and the histogram.

    The histograms are fitted to the codes of the positive images (``positive`` a boolean
    mask ``(N,)``; ``None``: every image), which share their total probability
    ``N_pos / N`` in proportion to :meth:`LatentHistogram.debiasing_weights`; every other
    image keeps the uniform ``1 / N``. So the class balance is unchanged and only the
    positives are redistributed, towards their rare latent regions.
    """
    _check_codes(z, "the codes")
    n = z.shape[0]
    if positive is None:
        positive = torch.ones(n, dtype=torch.bool)
    positive = positive.to("cpu", torch.bool)
    if positive.shape != (n,):
        raise ShapeError(f"the positive mask has shape {tuple(positive.shape)}; need ({n},)")
    if not positive.any():
        raise ConfigError("no positive image to fit the latent histograms to")
    codes = z.detach().to("cpu", torch.float64)[positive]
    histogram = LatentHistogram.fit(codes, bins)
    probabilities = torch.full((n,), 1.0 / n, dtype=torch.float64)
    share = positive.sum().item() / n
    probabilities[positive] = histogram.debiasing_weights(codes, alpha, combine) * share
    return probabilities, histogram
