"""Are the encoder's coordinates independent features? Numbers for one model and data set.

For the encoder means of N images: per-dimension variance and the active dimensions (variance
of the mean above 0.01; Burda et al. 2016, https://arxiv.org/abs/1509.00519), the correlation
matrix, the Gaussian total correlation, for a VAE the mean KL per dimension and the
aggregate-posterior total correlation (``apps.total_correlation``), and FastICA on the means
(``apps.coordinates``) with k-NN total correlations of the active codes, their PCA-whitened
coordinates and the ICA sources (the last two differ only in their marginals, so their
difference is what ICA removed beyond decorrelation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from latentforge.apps.coordinates import LinearCoordinates, fit_ica, fit_pca_whitening
from latentforge.apps.latent_codes import EncodedSet
from latentforge.apps.total_correlation import (
    aggregate_posterior_total_correlation,
    correlation_matrix,
    gaussian_total_correlation,
    knn_total_correlation,
)
from latentforge.errors import ConfigError, DataError
from latentforge.losses.divergence import kl_diag_gaussians

ACTIVE_VARIANCE = 0.01


@dataclass
class IndependenceReport:
    numbers: dict[str, Any]
    correlation: np.ndarray  # (D, D)
    ica: LinearCoordinates | None = None
    notes: list[str] = field(default_factory=list)


def active_dimensions(means: Tensor, threshold: float = ACTIVE_VARIANCE) -> list[int]:
    """Dimensions whose mean code varies across images: Var_x(E_q[z_d]) > ``threshold``."""
    return torch.nonzero(means.double().var(0) > threshold).flatten().tolist()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _safe_gaussian_tc(correlation: np.ndarray) -> float | None:
    try:
        return gaussian_total_correlation(correlation)
    except DataError:
        return None


def independence_report(
    encoded: EncodedSet,
    components: int | None = None,
    seed: int = 0,
    knn_k: int = 3,
    ica: bool = True,
    tc_images: int = 2000,
) -> IndependenceReport:
    """All the numbers of the module docstring; ``components`` ICA directions (default: one per
    active dimension). The O(N^2) estimates (aggregate posterior, k-NN) use the first
    ``tc_images`` codes."""
    means = encoded.means
    variance = means.double().var(0)
    active = active_dimensions(means)
    correlation = correlation_matrix(means)
    numbers: dict[str, Any] = {
        "images": len(encoded),
        "latent_dim": encoded.dim,
        "variance": [_rounded(v) for v in variance.tolist()],
        "active_dims": len(active),
        "active": active,
        "tc_gaussian": _rounded(_safe_gaussian_tc(correlation)),
        "mean_abs_correlation": _rounded(
            np.abs(correlation[~np.eye(encoded.dim, dtype=bool)]).mean() if encoded.dim > 1 else 0
        ),
    }
    if encoded.logvars is not None:
        kl = kl_diag_gaussians(means, encoded.logvars, 0.0, 0.0, reduce="none").mean(0)
        generator = torch.Generator().manual_seed(seed)
        numbers["kl_per_dim"] = [_rounded(v) for v in kl.tolist()]
        numbers["tc_aggregate"] = _rounded(
            aggregate_posterior_total_correlation(
                means[:tc_images], encoded.logvars[:tc_images], generator
            )
        )
    report = IndependenceReport(numbers, correlation)
    if not ica:
        return report
    k = components if components is not None else max(1, len(active))
    if not 1 <= k <= encoded.dim:
        raise ConfigError(f"--ica must be between 1 and the latent size {encoded.dim}, got {k}")
    report.ica = fit_ica(means, k, seed=seed)
    pca = fit_pca_whitening(means, k)
    if not report.ica.converged:
        report.notes.append("FastICA did not converge; its directions are approximate")
    numbers["ica_components"] = k
    numbers["ica_converged"] = report.ica.converged
    used = active if len(active) >= 1 else list(range(encoded.dim))
    subset = means[:tc_images]
    numbers["tc_knn_codes"] = _rounded(knn_total_correlation(subset[:, used], knn_k))
    numbers["tc_knn_pca"] = _rounded(knn_total_correlation(pca.coordinates(subset), knn_k))
    numbers["tc_knn_ica"] = _rounded(knn_total_correlation(report.ica.coordinates(subset), knn_k))
    return report


@torch.no_grad()
def reconstruction_mse(
    model: Any, images: Tensor, coordinates: LinearCoordinates | None = None
) -> float:
    """Mean squared pixel error of ``decode(encode(x))``; with ``coordinates``, of the code
    projected through them, ``decode(m + A U (z - m))`` (lossless when K = D)."""
    codes = model.encode(images)
    if coordinates is not None:
        codes = coordinates.codes(coordinates.coordinates(codes))
    return float((model.decode(codes) - images).square().mean())
