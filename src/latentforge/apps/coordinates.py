"""Linear coordinates of a latent space: the axes themselves, PCA whitening, or FastICA.

Each is an affine map between codes z (D numbers) and K coordinates c:

    c = U (z - m)              (unmixing U: K x D)
    z ~ m + A c                (mixing A: D x K; exact when K = D)

Axes: m = 0, A = U = I. PCA whitening: A = V diag(sqrt(lambda)), U = diag(1/sqrt(lambda)) V^T
from the top K eigenpairs of the code covariance, so the coordinates are uncorrelated with unit
variance. FastICA (Hyvarinen & Oja 2000, https://doi.org/10.1016/S0893-6080(00)00026-5;
``sklearn.decomposition.FastICA``) then rotates the whitened coordinates to make them as
non-Gaussian, and so as independent, as it can: it finds the independent directions A's columns
of a linear mixture z = m + A s of independent sources s.

A traversal along coordinate k moves a code along column k of A (``latentforge.apps.traversal``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import FastICA
from sklearn.exceptions import ConvergenceWarning
from torch import Tensor

from latentforge.errors import ConfigError, DataError, ShapeError


@dataclass
class LinearCoordinates:
    """``c = unmixing (z - mean)`` and ``z = mean + mixing c``; see the module docstring."""

    mean: Tensor  # (D,)
    mixing: Tensor  # (D, K)
    unmixing: Tensor  # (K, D)
    name: str = "axes"
    converged: bool = True

    @property
    def components(self) -> int:
        return int(self.mixing.shape[1])

    @property
    def directions(self) -> Tensor:
        """The K directions in latent space, one per row: ``(K, D)``."""
        return self.mixing.T

    def coordinates(self, codes: Tensor) -> Tensor:
        """Codes ``(N, D)`` -> coordinates ``(N, K)``."""
        if codes.shape[-1] != self.mean.shape[0]:
            raise ShapeError(
                f"codes have {codes.shape[-1]} dimensions, the coordinates were fitted on "
                f"{self.mean.shape[0]}"
            )
        return (codes - self.mean.to(codes)) @ self.unmixing.to(codes).T  # (N, D) @ (D, K)

    def codes(self, coordinates: Tensor) -> Tensor:
        """Coordinates ``(N, K)`` -> codes ``(N, D)`` (a projection when K < D)."""
        return self.mean.to(coordinates) + coordinates @ self.mixing.to(coordinates).T


def latent_axes(dim: int) -> LinearCoordinates:
    """The latent axes themselves: c = z."""
    eye = torch.eye(dim)
    return LinearCoordinates(torch.zeros(dim), eye, eye.clone(), "axes")


def code_matrix(codes: Tensor | np.ndarray, min_rows: int) -> np.ndarray:
    """Codes ``(N, D)`` as a finite float64 array, with at least ``min_rows`` rows."""
    x = codes.detach().cpu().double().numpy() if isinstance(codes, Tensor) else np.asarray(codes)
    if x.ndim != 2:
        raise ShapeError(f"codes must be shaped (N, D), got {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise DataError(f"need at least {min_rows} codes, got {x.shape[0]}; encode more images")
    if not np.isfinite(x).all():
        raise DataError("the codes contain NaN or infinite values; check the model")
    return x.astype(np.float64)


def _components(requested: int | None, dim: int) -> int:
    k = dim if requested is None else requested
    if not 1 <= k <= dim:
        raise ConfigError(f"--ica must be between 1 and the latent size {dim}, got {k}")
    return k


def _tensors(mean: np.ndarray, mixing: np.ndarray, unmixing: np.ndarray) -> tuple[Tensor, ...]:
    return tuple(
        torch.from_numpy(np.ascontiguousarray(a)).float() for a in (mean, mixing, unmixing)
    )


def fit_pca_whitening(
    codes: Tensor | np.ndarray, components: int | None = None
) -> LinearCoordinates:
    """Whitened principal coordinates of the codes (top ``components`` eigenpairs)."""
    x = code_matrix(codes, min_rows=2)
    k = _components(components, x.shape[1])
    mean = x.mean(0)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1]))
    top = np.argsort(values)[::-1][:k]
    values, vectors = values[top], vectors[:, top]  # (K,), (D, K)
    if values.min() <= 1e-12 * max(values.max(), 1e-300):
        raise DataError(
            "the codes have (almost) no variance along some direction; whiten fewer components"
        )
    root = np.sqrt(values)
    return LinearCoordinates(*_tensors(mean, vectors * root, (vectors / root).T), name="pca")


def fit_ica(
    codes: Tensor | np.ndarray,
    components: int | None = None,
    seed: int = 0,
    max_iter: int = 1000,
) -> LinearCoordinates:
    """FastICA on the codes: K unit-variance independent coordinates and their directions.

    ``sklearn.decomposition.FastICA`` with ``whiten="unit-variance"`` and the logcosh
    contrast; ``seed`` fixes its random start. ``converged`` is False when it stopped at
    ``max_iter`` (the directions are then less reliable).
    """
    x = code_matrix(codes, min_rows=2)
    k = _components(components, x.shape[1])
    if x.shape[0] <= k:
        raise DataError(f"FastICA of {k} components needs more than {k} codes, got {x.shape[0]}")
    ica = FastICA(
        n_components=k, whiten="unit-variance", random_state=seed, max_iter=max_iter, tol=1e-4
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        ica.fit(x)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return LinearCoordinates(
        *_tensors(ica.mean_, ica.mixing_, ica.components_), name="ica", converged=converged
    )
