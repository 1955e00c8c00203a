"""Precision, recall, density, coverage against a brute-force reference and known expectations."""

from __future__ import annotations

import time
from math import comb

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import expected_coverage, knn_radii, precision_recall_density_coverage


def brute_force_prdc(real: np.ndarray, fake: np.ndarray, k_pr: int, k_dc: int) -> dict[str, float]:
    """The four definitions written out with full distance matrices (scipy, float64)."""

    def kth_neighbour(points: np.ndarray, k: int) -> np.ndarray:
        d = cdist(points, points)
        np.fill_diagonal(d, np.inf)  # a point is not its own neighbour
        return np.sort(d, axis=1)[:, k - 1]

    d = cdist(real, fake)  # (N, M)
    real_pr, real_dc = kth_neighbour(real, k_pr), kth_neighbour(real, k_dc)
    fake_pr = kth_neighbour(fake, k_pr)
    return {
        "precision": np.mean((d <= real_pr[:, None]).any(axis=0)),
        "recall": np.mean((d <= fake_pr[None, :]).any(axis=1)),
        "density": np.sum(d <= real_dc[:, None]) / (k_dc * fake.shape[0]),
        "coverage": np.mean(d.min(axis=1) <= real_dc),
    }


def assert_matches_brute_force(got: dict[str, float], expected: dict[str, float]) -> None:
    for name in ("precision", "recall", "coverage"):
        assert got[name] == expected[name], name
    assert got["density"] == pytest.approx(expected["density"], abs=1e-6)


@pytest.mark.parametrize(
    ("n_real", "n_fake", "dim", "k_pr", "k_dc", "shift"),
    [
        (60, 45, 3, 3, 5, 0.0),
        (50, 80, 10, 3, 5, 0.7),
        (40, 40, 2, 1, 1, 1.5),
        (90, 30, 64, 4, 7, 0.2),
    ],
)
def test_matches_brute_force(n_real, n_fake, dim, k_pr, k_dc, shift) -> None:
    rng = np.random.default_rng(n_real + dim)
    real = rng.standard_normal((n_real, dim))
    fake = 1.3 * rng.standard_normal((n_fake, dim)) + shift
    expected = brute_force_prdc(real, fake, k_pr, k_dc)
    got = precision_recall_density_coverage(
        real, fake, k_precision_recall=k_pr, k_density_coverage=k_dc, dtype=torch.float64
    )
    assert_matches_brute_force(got, expected)
    # Tiny blocks (a few rows at a time) give the same answer as one block.
    blocked = precision_recall_density_coverage(
        torch.from_numpy(real),
        torch.from_numpy(fake),
        k_precision_recall=k_pr,
        k_density_coverage=k_dc,
        dtype=torch.float64,
        block_elements=3 * max(n_real, n_fake),
    )
    assert blocked == got


def test_knn_radii_matches_sorted_distances() -> None:
    points = np.random.default_rng(0).standard_normal((33, 5))
    d = cdist(points, points)
    np.fill_diagonal(d, np.inf)
    expected = np.sort(d, axis=1)[:, [0, 2, 4]]
    got = knn_radii(torch.from_numpy(points), (1, 3, 5), block_elements=100).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_hand_computed_one_dimensional_case() -> None:
    # real = {0, 1, 3}, fake = {0.5, 10}, k = 1. Real radii (nearest other real): 1, 1, 2.
    # Fake radii: 9.5, 9.5. Fake 0.5 lies in the balls of 0 and 1, fake 10 in none:
    # precision 1/2, density (2 + 0) / (1 * 2) = 1. Real 0 and 1 are covered, 3 is not: 2/3.
    # Every real point is within 9.5 of fake 0.5: recall 1.
    real, fake = np.array([[0.0], [1.0], [3.0]]), np.array([[0.5], [10.0]])
    got = precision_recall_density_coverage(real, fake, 1, 1, dtype=torch.float64)
    expected = {"precision": 0.5, "recall": 1.0, "density": 1.0, "coverage": 2 / 3}
    assert got == pytest.approx(expected)


def test_balls_are_closed() -> None:
    # real = {0, 1, 2}, fake = {1, 3}, k = 1: every real radius is 1, both fake radii are 2.
    # Fake 3 sits exactly on the boundary of real 2's ball, which counts (closed ball):
    # precision 1 (0.5 with open balls), density (3 + 1) / 2 = 2, coverage 1, recall 1.
    real, fake = np.array([[0.0], [1.0], [2.0]]), np.array([[1.0], [3.0]])
    got = precision_recall_density_coverage(real, fake, 1, 1)
    assert got == {"precision": 1.0, "recall": 1.0, "density": 2.0, "coverage": 1.0}


def test_far_away_fakes_score_zero_fidelity() -> None:
    rng = np.random.default_rng(1)
    real = rng.standard_normal((200, 8))
    got = precision_recall_density_coverage(real, rng.standard_normal((200, 8)) + 50.0)
    assert got == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_expected_coverage_formula_by_hand() -> None:
    # k = 1, N = M = 2: the nearest of the 1 other real and 2 fakes is real with prob. 1/3.
    assert expected_coverage(2, 2, 1) == pytest.approx(1 - 1 / 3)
    # In general 1 - C(N-1, k) / C(N-1+M, k).
    assert expected_coverage(50, 30, 4) == pytest.approx(1 - comb(49, 4) / comb(79, 4))


def test_density_and_coverage_expectations_by_simulation() -> None:
    # Same distribution for real and fake: E[density] = 1 exactly and E[coverage] = the lemma,
    # for any sample size and dimension. 300 small draws make both means precise to ~0.01.
    rng = np.random.default_rng(2)
    draws = np.array(
        [
            list(
                precision_recall_density_coverage(
                    rng.standard_normal((40, 3)), rng.standard_normal((30, 3)), 3, 5
                ).values()
            )
            for _ in range(300)
        ]
    )
    mean, sem = draws.mean(axis=0), draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert abs(mean[2] - 1.0) < 4 * sem[2]
    assert abs(mean[3] - expected_coverage(40, 30, 5)) < 4 * sem[3]


def identical_gaussians(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, dim), dtype=np.float32),
        rng.standard_normal((n, dim), dtype=np.float32),
    )


def test_two_thousand_identical_gaussians_in_1000_dims() -> None:
    # Fast version of the reference setting below. Over 30 seeds (k = 5 everywhere) this gives
    # precision and recall 0.556 +- 0.016, density 1.007 +- 0.086, coverage 0.970 +- 0.008.
    # Checked here, each band about 3.5 standard deviations wide: density near its exact
    # expectation 1; coverage near the lemma's 0.9689; precision ~ recall by the symmetry of
    # equal-size samples from one distribution (their difference has sd ~0.023). The float32
    # default may differ from float64 only by a few rounding flips at ball boundaries.
    real, fake = identical_gaussians(2000, 1000, seed=0)
    exact = precision_recall_density_coverage(real, fake, 5, 5, dtype=torch.float64)
    fast = precision_recall_density_coverage(real, fake, 5, 5)
    for name in exact:
        assert fast[name] == pytest.approx(exact[name], abs=2e-3)
    assert fast["density"] == pytest.approx(1.0, abs=0.3)
    assert fast["coverage"] == pytest.approx(expected_coverage(2000, 2000, 5), abs=0.03)
    assert abs(fast["precision"] - fast["recall"]) < 0.08


@pytest.mark.slow  # 10,000 x 10,000 distances in 1000 dimensions
def test_reference_setting_ten_thousand_in_1000_dims() -> None:
    # Naeem et al.'s reference example: 10k vs 10k draws of N(0, I) in 1000 dims reported
    # precision 0.4772, recall 0.4705, density 1.0555, coverage 0.9735 with k = 5 for all four
    # (with k = 3, precision and recall come out near 0.37 / 0.39 instead). Over 6 seeds this
    # implementation gives 0.474 +- 0.014, 0.483 +- 0.008, 0.970 +- 0.055, 0.964 +- 0.006: the
    # high-dimensional k-NN balls make density especially noisy, so the bands are ~3.5 sd wide.
    real, fake = identical_gaussians(10_000, 1000, seed=1)
    start = time.perf_counter()
    got = precision_recall_density_coverage(real, fake, k_precision_recall=5, k_density_coverage=5)
    elapsed = time.perf_counter() - start
    assert got["precision"] == pytest.approx(0.4772, abs=0.05)
    assert got["recall"] == pytest.approx(0.4705, abs=0.05)
    assert got["density"] == pytest.approx(1.0, abs=0.2)
    assert got["coverage"] == pytest.approx(expected_coverage(10_000, 10_000, 5), abs=0.02)
    assert got["coverage"] == pytest.approx(0.9735, abs=0.02)
    print(f"10k x 10k in 1000 dims: {elapsed:.1f} s")


def test_bad_inputs_fail_early() -> None:
    x = np.zeros((5, 2))
    with pytest.raises(ConfigError, match="k = 5 .* real_features"):
        precision_recall_density_coverage(x, x, 3, 5)
    with pytest.raises(ConfigError, match="k = 3 .* fake_features"):
        precision_recall_density_coverage(np.zeros((9, 2)), x[:3], 3, 5)
    with pytest.raises(ConfigError, match="k_precision_recall"):
        precision_recall_density_coverage(x, x, 0, 1)
    with pytest.raises(ShapeError, match="widths"):
        precision_recall_density_coverage(x, np.zeros((5, 3)), 1, 1)
