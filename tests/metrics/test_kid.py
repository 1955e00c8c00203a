"""KID: the unbiased MMD^2 against a double loop and a closed form; behaviour with shifts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def double_loop_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, one pair at a time."""
    d = x.shape[1]

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2.0 * xy


def test_polynomial_kernel_by_hand() -> None:
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0], [0.0, 0.0]])
    # (x.y / 2 + 1)^3: x.y = 1 -> 1.5^3 = 3.375; x.0 = 0 -> 1.
    np.testing.assert_allclose(polynomial_kernel(x, y), [[3.375, 1.0]])


def test_unbiased_estimator_matches_double_loop() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((5, 3)) + 0.3
    got = mmd2_unbiased(polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y))
    assert got == pytest.approx(double_loop_mmd2(x, y), rel=1e-12)


def test_one_full_subset_equals_the_full_estimate() -> None:
    # A subset of size n drawn without replacement is a permutation: the estimate is unchanged.
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((9, 4)), rng.standard_normal((9, 4)) - 0.2
    result = kernel_inception_distance(x, torch.from_numpy(y), n_subsets=3, subset_size=9)
    assert result["kid_mean"] == pytest.approx(double_loop_mmd2(x, y), rel=1e-10)
    assert result["kid_std"] == pytest.approx(0.0, abs=1e-12)


def test_subset_size_is_clipped_to_the_smaller_set() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((6, 2)), rng.standard_normal((40, 2))
    result = kernel_inception_distance(x, y[:6], n_subsets=1, subset_size=1000)
    assert result["kid_mean"] == pytest.approx(double_loop_mmd2(x, y[:6]), rel=1e-10)


def test_expectation_matches_closed_form_in_one_dimension() -> None:
    # d = 1: k(x, y) = x^3 y^3 + 3 x^2 y^2 + 3 x y + 1, so the population MMD^2 between
    # N(m, 1) and N(0, 1) is (E x^3 - E y^3)^2 + 3 (E x^2 - E y^2)^2 + 3 (E x - E y)^2
    # = (m^3 + 3m)^2 + 3 m^4 + 3 m^2. The estimator is unbiased for it.
    rng = np.random.default_rng(3)
    m = 0.5
    exact = (m**3 + 3 * m) ** 2 + 3 * m**4 + 3 * m**2
    result = kernel_inception_distance(
        rng.standard_normal((20000, 1)) + m,
        rng.standard_normal((20000, 1)),
        n_subsets=40,
        subset_size=500,
        seed=4,
    )
    standard_error = result["kid_std"] / np.sqrt(40)  # subsets overlap little in 20000 rows
    assert abs(result["kid_mean"] - exact) < 5 * standard_error + 0.02 * exact


@pytest.mark.slow  # many subsets of thousands of features
def test_same_distribution_is_near_zero_and_shift_grows() -> None:
    rng = np.random.default_rng(5)
    real = rng.standard_normal((1500, 16))
    same = kernel_inception_distance(real, rng.standard_normal((1500, 16)), subset_size=500)
    # Subsets of one pair of samples share most rows, so their mean keeps the error of the
    # full-sample estimate; under equal distributions the unbiased MMD^2 is a degenerate
    # U-statistic whose spread falls like 1/n, so that error is about kid_std * 500 / 1500.
    assert abs(same["kid_mean"]) < same["kid_std"]
    means = [
        kernel_inception_distance(
            real, rng.standard_normal((1500, 16)) + shift, n_subsets=20, subset_size=500
        )["kid_mean"]
        for shift in (0.25, 0.5, 1.0)
    ]
    assert 0 < means[0] < means[1] < means[2]
    assert means[0] > 5 * same["kid_std"]


def test_seed_makes_it_reproducible() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((300, 5)), rng.standard_normal((300, 5))
    first = kernel_inception_distance(x, y, n_subsets=5, subset_size=100, seed=11)
    again = kernel_inception_distance(x, y, n_subsets=5, subset_size=100, seed=11)
    other = kernel_inception_distance(x, y, n_subsets=5, subset_size=100, seed=12)
    assert first == again
    assert first != other
    generator = np.random.default_rng(11)
    assert kernel_inception_distance(x, y, n_subsets=5, subset_size=100, seed=generator) == first


def test_bad_options_fail_early() -> None:
    x = np.zeros((10, 3))
    with pytest.raises(ConfigError, match="n_subsets"):
        kernel_inception_distance(x, x, n_subsets=0)
    with pytest.raises(ConfigError, match="subset_size"):
        kernel_inception_distance(x, x, subset_size=1)
    with pytest.raises(ShapeError, match="widths"):
        kernel_inception_distance(x, np.zeros((10, 4)))
    with pytest.raises(ConfigError, match="at least 2"):
        mmd2_unbiased(np.ones((1, 1)), np.ones((3, 3)), np.ones((1, 3)))
