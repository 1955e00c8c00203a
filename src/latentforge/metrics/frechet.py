"""Frechet distance between Gaussian fits of two feature sets (FID with Inception features).

    d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium", https://arxiv.org/abs/1706.08500.

Real-data statistics are expensive to recompute, so :class:`FeatureStats` saves them to ``.npz``
(read back with ``allow_pickle=False``) or ``.safetensors``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import safetensors.numpy
import scipy.linalg

from latentforge.errors import ConfigError, DataError, ShapeError
from latentforge.metrics._inputs import ArrayLike, feature_matrix
from latentforge.utils.files import atomic_write

_KEYS = ("mu", "sigma", "num_samples")


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare fields
class FeatureStats:
    """Mean ``mu`` (D,), covariance ``sigma`` (D, D) (unbiased, divisor N - 1) and sample count."""

    mu: np.ndarray
    sigma: np.ndarray
    num_samples: int

    def __post_init__(self) -> None:
        mu = np.asarray(self.mu, dtype=np.float64)
        sigma = np.asarray(self.sigma, dtype=np.float64)
        if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
            raise ShapeError(
                f"FeatureStats needs mu of shape (D,) and sigma of shape (D, D); got "
                f"{tuple(mu.shape)} and {tuple(sigma.shape)}"
            )
        if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
            raise DataError("FeatureStats contains NaN or infinite values")
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "num_samples", int(self.num_samples))

    @property
    def dim(self) -> int:
        return self.mu.shape[0]

    @classmethod
    def from_features(cls, features: ArrayLike) -> FeatureStats:
        """Mean and unbiased covariance of an (N, D) feature matrix, N >= 2."""
        x = feature_matrix(features, "features", min_rows=2)
        return cls(mu=x.mean(axis=0), sigma=np.cov(x, rowvar=False, ddof=1), num_samples=len(x))

    def save(self, path: str | Path) -> Path:
        """Write to ``path``; the suffix picks the format: ``.npz`` or ``.safetensors``."""
        path = Path(path)
        arrays = {
            "mu": self.mu,
            "sigma": self.sigma,
            "num_samples": np.array([self.num_samples], dtype=np.int64),
        }
        if path.suffix == ".npz":

            def write(tmp: Path) -> None:
                with open(tmp, "wb") as handle:
                    np.savez(handle, **arrays)

            return atomic_write(path, write)
        if path.suffix == ".safetensors":
            data = safetensors.numpy.save(arrays, metadata={"format": "latentforge.FeatureStats"})
            return atomic_write(path, lambda tmp: tmp.write_bytes(data))
        raise ConfigError(f"cannot save feature statistics to {path}: use a .npz or .safetensors")

    @classmethod
    def load(cls, path: str | Path) -> FeatureStats:
        """Read statistics written by :meth:`save` (no pickle involved in either format)."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"feature statistics file {path} does not exist; compute and save it")
        try:
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as archive:
                    arrays = {key: archive[key] for key in archive.files}
            elif path.suffix == ".safetensors":
                arrays = safetensors.numpy.load_file(str(path))
            else:
                raise ConfigError(
                    f"cannot read feature statistics from {path}: not .npz/.safetensors"
                )
        except (OSError, ValueError, zipfile.BadZipFile, safetensors.SafetensorError) as error:
            raise DataError(f"feature statistics file {path} is unreadable: {error}") from None
        missing = [key for key in _KEYS if key not in arrays]
        if missing:
            raise DataError(
                f"feature statistics file {path} lacks {', '.join(missing)}; rebuild it"
            )
        return cls(arrays["mu"], arrays["sigma"], int(np.asarray(arrays["num_samples"]).ravel()[0]))


class FeatureStatsAccumulator:
    """Mean and covariance over batches (Chan et al.'s pairwise update), for data too big to stack.

    With M = sum (x - mean)(x - mean)^T, merging (n_a, mean_a, M_a) with a batch (n_b, mean_b, M_b):
    delta = mean_b - mean_a, n = n_a + n_b, mean = mean_a + delta n_b / n,
    M = M_a + M_b + delta delta^T n_a n_b / n.
    """

    def __init__(self) -> None:
        self.count = 0
        self._mean: np.ndarray | None = None
        self._scatter: np.ndarray | None = None

    def update(self, features: ArrayLike) -> None:
        x = feature_matrix(features, "features")
        batch_mean = x.mean(axis=0)
        centred = x - batch_mean  # (B, D)
        batch_scatter = centred.T @ centred  # (D, D)
        if self._mean is None or self._scatter is None:
            self.count, self._mean, self._scatter = len(x), batch_mean, batch_scatter
            return
        if x.shape[1] != self._mean.shape[0]:
            raise ShapeError(f"batch has {x.shape[1]} features, earlier batches had {self.dim}")
        total = self.count + len(x)
        delta = batch_mean - self._mean
        self._scatter = (
            self._scatter + batch_scatter + np.outer(delta, delta) * (self.count * len(x) / total)
        )
        self._mean = self._mean + delta * (len(x) / total)
        self.count = total

    @property
    def dim(self) -> int:
        return 0 if self._mean is None else self._mean.shape[0]

    def finalize(self) -> FeatureStats:
        if self._mean is None or self._scatter is None or self.count < 2:
            raise DataError(f"need at least 2 samples for a covariance, got {self.count}")
        return FeatureStats(self._mean, self._scatter / (self.count - 1), self.count)


def _trace_sqrt_product_eigh(sigma_a: np.ndarray, sigma_b: np.ndarray) -> float:
    """Tr((S_a S_b)^{1/2}) = sum_i sqrt(lambda_i(S_a^{1/2} S_b S_a^{1/2})).

    S_a S_b is similar to the symmetric PSD matrix S_a^{1/2} S_b S_a^{1/2}, so their eigenvalues
    agree and are >= 0; rounding can make a few slightly negative, which are clipped to 0.
    """
    values, vectors = np.linalg.eigh(sigma_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = root_a @ sigma_b @ root_a
    middle = (middle + middle.T) / 2.0
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)).sum())


def _trace_sqrt_product_sqrtm(sigma_a: np.ndarray, sigma_b: np.ndarray, eps: float) -> float:
    """Tr(sqrtm(S_a S_b)), retrying with eps * I added to both when the root is not finite."""
    root = scipy.linalg.sqrtm(sigma_a @ sigma_b)
    if not np.isfinite(root).all():
        offset = np.eye(sigma_a.shape[0]) * eps
        root = scipy.linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(root):
        if not np.allclose(np.diagonal(root).imag, 0.0, atol=1e-3):
            largest = float(np.abs(root.imag).max())
            raise DataError(
                f"matrix square root has an imaginary part of {largest:.3g}; the covariances are "
                "ill-conditioned: use more samples or method='eigh'"
            )
        root = root.real
    return float(np.trace(root))


def frechet_distance(
    stats_a: FeatureStats,
    stats_b: FeatureStats,
    method: Literal["eigh", "sqrtm"] = "eigh",
    eps: float = 1e-6,
) -> float:
    """Frechet distance ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}) between two Gaussians.

    ``method="eigh"`` (default) takes the trace of the root from the eigenvalues of
    S_a^{1/2} S_b S_a^{1/2}, which is symmetric, so it stays real and works for singular
    covariances (fewer samples than dimensions). ``method="sqrtm"`` is the classic route through
    ``scipy.linalg.sqrtm`` with ``eps`` added to the diagonals when the root is not finite and
    negligible imaginary parts discarded. Both agree to rounding on well-conditioned inputs. The
    result is clipped at 0 (rounding can give -1e-12 for identical statistics).
    """
    if stats_a.dim != stats_b.dim:
        raise ShapeError(
            f"statistics have different widths ({stats_a.dim} vs {stats_b.dim}); "
            "compute both with the same feature extractor"
        )
    if method == "eigh":
        trace_root = _trace_sqrt_product_eigh(stats_a.sigma, stats_b.sigma)
    elif method == "sqrtm":
        trace_root = _trace_sqrt_product_sqrtm(stats_a.sigma, stats_b.sigma, eps)
    else:
        raise ConfigError(f"unknown Frechet method {method!r}; choose 'eigh' or 'sqrtm'")
    diff = stats_a.mu - stats_b.mu
    traces = np.trace(stats_a.sigma) + np.trace(stats_b.sigma)
    return max(float(diff @ diff + traces - 2.0 * trace_root), 0.0)


def frechet_distance_from_features(
    features_a: ArrayLike | FeatureStats,
    features_b: ArrayLike | FeatureStats,
    method: Literal["eigh", "sqrtm"] = "eigh",
) -> float:
    """:func:`frechet_distance` of two (N, D) feature matrices; either may be cached statistics."""
    return frechet_distance(_as_stats(features_a), _as_stats(features_b), method=method)


def _as_stats(features: ArrayLike | FeatureStats) -> FeatureStats:
    return features if isinstance(features, FeatureStats) else FeatureStats.from_features(features)
