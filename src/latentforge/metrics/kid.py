"""Kernel Inception Distance: the unbiased squared MMD with a cubic polynomial kernel.

    k(x, y) = (x.y / D + 1)^3
    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
              - 2/(mn) sum_{i, j} k(x_i, y_j)

averaged over random subsets. Binkowski et al. 2018, "Demystifying MMD GANs",
https://arxiv.org/abs/1801.01401. Unlike FID, the estimator is unbiased for every sample size,
so it can be slightly negative when the two distributions are equal.
"""

from __future__ import annotations

import numpy as np

from latentforge.errors import ConfigError
from latentforge.metrics._inputs import (
    ArrayLike,
    SeedLike,
    check_same_width,
    feature_matrix,
    numpy_rng,
    positive_int,
)


def polynomial_kernel(
    x: np.ndarray,
    y: np.ndarray,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
) -> np.ndarray:
    """Kernel matrix K[i, j] = (gamma x_i.y_j + coef0)^degree of shape (len(x), len(y)).

    ``gamma`` defaults to 1 / D, the KID choice.
    """
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    kernel = x @ y.T  # (len(x), len(y)); scaled and raised in place
    kernel *= gamma
    kernel += coef0
    return np.power(kernel, degree, out=kernel)


def mmd2_unbiased(k_xx: np.ndarray, k_yy: np.ndarray, k_xy: np.ndarray) -> float:
    """Unbiased MMD^2 from the three kernel matrices (diagonals of K_xx and K_yy left out)."""
    m, n = k_xx.shape[0], k_yy.shape[0]
    if m < 2 or n < 2:
        raise ConfigError(f"the unbiased MMD needs at least 2 samples per set, got {m} and {n}")
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kernel_inception_distance(
    real_features: ArrayLike,
    fake_features: ArrayLike,
    n_subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: SeedLike = 0,
) -> dict[str, float]:
    """KID over ``n_subsets`` random subsets: ``{"kid_mean": ..., "kid_std": ...}``.

    Each subset draws ``m = min(subset_size, N_real, N_fake)`` rows from each set without
    replacement (NumPy generator from ``seed``) and computes :func:`mmd2_unbiased` with
    :func:`polynomial_kernel`. ``kid_std`` is the standard deviation over subsets (divisor
    ``n_subsets``, as in the reference implementations); it measures the spread of one subset's
    estimate, not the standard error of the mean. A good model has KID near 0.
    """
    real = feature_matrix(real_features, "real_features", min_rows=2)
    fake = feature_matrix(fake_features, "fake_features", min_rows=2)
    check_same_width(real, fake)
    n_subsets = positive_int(n_subsets, "n_subsets")
    size = min(positive_int(subset_size, "subset_size"), len(real), len(fake))
    if size < 2:
        raise ConfigError(f"subset_size must be at least 2, got {subset_size}")
    rng = numpy_rng(seed)
    estimates = np.empty(n_subsets)
    for index in range(n_subsets):  # one iteration per subset: O(m^2 D) work each
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        estimates[index] = mmd2_unbiased(
            polynomial_kernel(x, x, degree, gamma, coef0),
            polynomial_kernel(y, y, degree, gamma, coef0),
            polynomial_kernel(x, y, degree, gamma, coef0),
        )
    return {"kid_mean": float(estimates.mean()), "kid_std": float(estimates.std())}
