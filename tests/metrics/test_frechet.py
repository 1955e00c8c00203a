"""Frechet distance against closed forms for Gaussians and the direct scipy formula."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from latentforge.errors import ConfigError, DataError, ShapeError
from latentforge.metrics import (
    FeatureStats,
    FeatureStatsAccumulator,
    frechet_distance,
    frechet_distance_from_features,
)


def random_spd(rng: np.random.Generator, dim: int) -> np.ndarray:
    a = rng.standard_normal((dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def scipy_frechet(mu1, s1, mu2, s2) -> float:
    """The textbook formula, written independently of the library."""
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2.0 * root))


@pytest.mark.parametrize("method", ["eigh", "sqrtm"])
def test_diagonal_gaussians_closed_form(method: str) -> None:
    # Diagonal covariances commute: Tr(S1 + S2 - 2 (S1 S2)^1/2) = sum_i (sqrt(s1_i) - sqrt(s2_i))^2.
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    v1, v2 = rng.uniform(0.1, 3.0, 6), rng.uniform(0.1, 3.0, 6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    a = FeatureStats(mu1, np.diag(v1), 100)
    b = FeatureStats(mu2, np.diag(v2), 100)
    assert frechet_distance(a, b, method=method) == pytest.approx(expected, rel=1e-10)


def test_one_dimensional_by_hand() -> None:
    # N(1, 4) vs N(-2, 1): (1 + 2)^2 + (2 - 1)^2 = 10.
    a = FeatureStats(np.array([1.0]), np.array([[4.0]]), 10)
    b = FeatureStats(np.array([-2.0]), np.array([[1.0]]), 10)
    assert frechet_distance(a, b) == pytest.approx(10.0, rel=1e-12)


@pytest.mark.parametrize("method", ["eigh", "sqrtm"])
def test_full_covariances_match_scipy_formula(method: str) -> None:
    rng = np.random.default_rng(1)
    for dim in (2, 7, 30):
        mu1, mu2 = rng.standard_normal(dim), rng.standard_normal(dim)
        s1, s2 = random_spd(rng, dim), random_spd(rng, dim)
        got = frechet_distance(FeatureStats(mu1, s1, 50), FeatureStats(mu2, s2, 50), method=method)
        assert got == pytest.approx(scipy_frechet(mu1, s1, mu2, s2), rel=1e-8, abs=1e-10)


def test_symmetric_in_its_arguments() -> None:
    rng = np.random.default_rng(2)
    a = FeatureStats(rng.standard_normal(5), random_spd(rng, 5), 10)
    b = FeatureStats(rng.standard_normal(5), random_spd(rng, 5), 10)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-10)


def test_identical_sets_give_zero() -> None:
    features = np.random.default_rng(3).standard_normal((500, 16))
    assert frechet_distance_from_features(features, features) == pytest.approx(0.0, abs=1e-9)


def test_singular_covariance_more_dims_than_samples() -> None:
    # 20 samples in 50 dims: rank-19 covariances. eigh stays finite and matches sqrtm with offset.
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((20, 50)), rng.standard_normal((20, 50)) + 0.5
    eigh = frechet_distance_from_features(a, b, method="eigh")
    sqrtm = frechet_distance_from_features(a, b, method="sqrtm")
    assert np.isfinite(eigh)
    assert eigh == pytest.approx(sqrtm, rel=1e-4)
    assert frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-8)


def test_from_features_uses_mean_and_unbiased_covariance() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((300, 4)), 2.0 * rng.standard_normal((200, 4)) + 1.0
    expected = scipy_frechet(a.mean(0), np.cov(a.T), b.mean(0), np.cov(b.T))
    assert frechet_distance_from_features(torch.from_numpy(a), b) == pytest.approx(expected)


def test_from_features_accepts_cached_stats() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((100, 3)), rng.standard_normal((100, 3)) + 1.0
    stats = FeatureStats.from_features(a)
    assert frechet_distance_from_features(stats, b) == frechet_distance_from_features(a, b)


def test_mean_shift_in_isotropic_gaussians_converges_to_closed_form() -> None:
    # N(0, I) vs N(m 1, I) in d dims: FID -> d m^2 as n grows.
    rng = np.random.default_rng(7)
    d, m = 8, 0.5
    a, b = rng.standard_normal((40000, d)), rng.standard_normal((40000, d)) + m
    assert frechet_distance_from_features(a, b) == pytest.approx(d * m**2, abs=0.02)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_stats_round_trip(tmp_path, suffix: str) -> None:
    stats = FeatureStats.from_features(np.random.default_rng(8).standard_normal((50, 6)))
    path = stats.save(tmp_path / f"real{suffix}")
    loaded = FeatureStats.load(path)
    np.testing.assert_array_equal(loaded.mu, stats.mu)
    np.testing.assert_array_equal(loaded.sigma, stats.sigma)
    assert loaded.num_samples == 50
    assert [p.name for p in tmp_path.iterdir()] == [f"real{suffix}"]  # no stray temporary file


def test_npz_holds_plain_arrays_only(tmp_path) -> None:
    path = FeatureStats(np.zeros(2), np.eye(2), 3).save(tmp_path / "s.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["mu", "num_samples", "sigma"]
        assert all(archive[key].dtype != object for key in archive.files)


def test_load_rejects_pickled_or_broken_files(tmp_path) -> None:
    pickled = tmp_path / "s.npz"
    np.savez(pickled, mu=np.array([{"a": 1}], dtype=object), sigma=np.eye(1), num_samples=[1])
    with pytest.raises(DataError, match="unreadable"):
        FeatureStats.load(pickled)
    broken = tmp_path / "b.safetensors"
    broken.write_bytes(b"not a safetensors file")
    with pytest.raises(DataError, match="unreadable"):
        FeatureStats.load(broken)
    partial = tmp_path / "p.npz"
    np.savez(partial, mu=np.zeros(2))
    with pytest.raises(DataError, match="sigma"):
        FeatureStats.load(partial)
    with pytest.raises(DataError, match="does not exist"):
        FeatureStats.load(tmp_path / "missing.npz")
    with pytest.raises(ConfigError, match=".npz"):
        FeatureStats(np.zeros(2), np.eye(2), 3).save(tmp_path / "s.json")


def test_accumulator_matches_stacked_statistics() -> None:
    rng = np.random.default_rng(9)
    batches = [rng.standard_normal((n, 5)) * 3 + 10 for n in (7, 1, 30, 12)]
    accumulator = FeatureStatsAccumulator()
    for batch in batches:
        accumulator.update(torch.from_numpy(batch))
    stacked = np.concatenate(batches)
    stats = accumulator.finalize()
    np.testing.assert_allclose(stats.mu, stacked.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.sigma, np.cov(stacked.T), rtol=1e-10)
    assert stats.num_samples == 50


def test_bad_inputs_fail_early() -> None:
    with pytest.raises(ShapeError, match="widths"):
        frechet_distance_from_features(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ShapeError, match="at least 2"):
        frechet_distance_from_features(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ShapeError, match="2-D"):
        frechet_distance_from_features(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(DataError, match="NaN"):
        frechet_distance_from_features(np.full((3, 2), np.nan), np.zeros((3, 2)))
    with pytest.raises(ConfigError, match="method"):
        frechet_distance_from_features(np.eye(3), np.eye(3), method="svd")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="at least 2"):
        FeatureStatsAccumulator().finalize()


def test_small_sample_bias_matches_first_order_formula() -> None:
    # Two samples of size n from one N(0, I_d): the true distance is 0, but the estimate is
    # biased upwards by about 2d/n (means) + d(d+1)/(2(n-1)) (covariances): the sample
    # covariances S = I + D with Var(D_ij) = (1 + [i=j]) / (n - 1), and
    # Tr(S1 + S2 - 2 (S1 S2)^1/2) ~ ||D1 - D2||_F^2 / 4 to first order.
    rng = np.random.default_rng(10)
    d, n = 32, 500
    values = [
        frechet_distance_from_features(rng.standard_normal((n, d)), rng.standard_normal((n, d)))
        for _ in range(20)
    ]
    predicted = 2 * d / n + d * (d + 1) / (2 * (n - 1))
    assert np.mean(values) == pytest.approx(predicted, rel=0.05)
