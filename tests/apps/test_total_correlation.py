"""Total correlation estimates against closed forms for Gaussians and independent sources."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal, norm

from latentforge.apps.total_correlation import (
    aggregate_posterior_total_correlation,
    codes_gaussian_total_correlation,
    correlation_matrix,
    gaussian_total_correlation,
    knn_entropy,
    knn_total_correlation,
)
from latentforge.errors import DataError, ShapeError

COV = np.array([[2.0, 0.9, 0.3], [0.9, 1.0, -0.4], [0.3, -0.4, 1.5]])


def _closed_form_tc(cov: np.ndarray) -> float:
    """sum_d H(z_d) - H(z) from scipy's Gaussian entropies."""
    marginals = sum(norm(scale=math.sqrt(cov[d, d])).entropy() for d in range(len(cov)))
    return float(marginals - multivariate_normal(cov=cov).entropy())


def _gaussian_samples(cov: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, size=n)


def test_gaussian_tc_matches_the_entropies_of_the_gaussian() -> None:
    assert gaussian_total_correlation(COV) == pytest.approx(_closed_form_tc(COV), rel=1e-10)
    assert gaussian_total_correlation(np.diag([1.0, 4.0, 0.5])) == pytest.approx(0.0, abs=1e-12)


def test_tc_of_samples_approaches_the_closed_form() -> None:
    x = _gaussian_samples(COV, 20_000)
    assert codes_gaussian_total_correlation(x) == pytest.approx(_closed_form_tc(COV), abs=0.02)
    np.testing.assert_allclose(correlation_matrix(torch.from_numpy(x)), np.corrcoef(x.T))


def test_singular_or_constant_codes_are_refused() -> None:
    with pytest.raises(DataError, match="singular"):
        gaussian_total_correlation(np.array([[1.0, 1.0], [1.0, 1.0]]))
    codes = np.random.default_rng(0).normal(size=(50, 3))
    codes[:, 1] = 2.0
    with pytest.raises(DataError, match="dimension\\(s\\) 1 never change"):
        correlation_matrix(codes)
    with pytest.raises(ShapeError):
        gaussian_total_correlation(np.ones((2, 3)))


def test_aggregate_posterior_tc_of_a_gaussian_mixture_with_known_limit() -> None:
    # means ~ N(0, A), q(z|x) = N(mean, s2 I): the aggregate posterior is N(0, A + s2 I).
    a = np.array([[1.0, 0.8], [0.8, 1.0]])
    s2 = 0.25
    mu = torch.from_numpy(_gaussian_samples(a, 3000, seed=1))
    logvar = torch.full_like(mu, math.log(s2))
    estimate = aggregate_posterior_total_correlation(
        mu, logvar, torch.Generator().manual_seed(0), chunk=500
    )
    expected = _closed_form_tc(a + s2 * np.eye(2))
    assert estimate == pytest.approx(expected, abs=0.03)


def test_aggregate_posterior_tc_of_independent_codes_is_near_zero() -> None:
    g = torch.Generator().manual_seed(3)
    mu = torch.randn(2000, 3, generator=g, dtype=torch.float64)
    logvar = torch.full_like(mu, math.log(0.3))
    assert abs(aggregate_posterior_total_correlation(mu, logvar, g)) < 0.03
    with pytest.raises(ShapeError):
        aggregate_posterior_total_correlation(mu, logvar[:, :2])


def test_knn_entropy_of_a_gaussian() -> None:
    x = _gaussian_samples(COV[:2, :2], 4000, seed=2)
    expected = multivariate_normal(cov=COV[:2, :2]).entropy()
    assert knn_entropy(x, k=3) == pytest.approx(expected, abs=0.05)


def test_knn_total_correlation_of_a_gaussian_and_of_independent_sources() -> None:
    x = _gaussian_samples(COV, 4000, seed=4)
    assert knn_total_correlation(x) == pytest.approx(_closed_form_tc(COV), abs=0.08)
    # Independent Laplace sources (unbounded: the estimator is biased near hard edges).
    s = np.random.default_rng(5).laplace(size=(4000, 3))
    assert abs(knn_total_correlation(s)) < 0.05


def test_knn_entropy_refuses_repeated_values() -> None:
    with pytest.raises(DataError, match="repeat exactly"):
        knn_entropy(np.zeros((10, 1)), k=2)
