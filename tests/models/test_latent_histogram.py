"""Latent histograms and debiasing weights against direct NumPy computations."""

import numpy as np
import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.models.latent_histogram import LatentHistogram, resampling_probabilities


def numpy_per_dim(z: np.ndarray, bins: int, alpha: float) -> np.ndarray:
    """w_i = 1 / (Q_i(z_i) + alpha) per image and dimension, Q_i = np.histogram counts / N."""
    columns = []
    for i in range(z.shape[1]):
        counts, edges = np.histogram(z[:, i], bins=bins)
        index = np.digitize(z[:, i], edges[1:-1])  # bins[i-1] <= x < bins[i]; max -> last bin
        columns.append(1.0 / (counts[index] / len(z) + alpha))
    return np.stack(columns, axis=1)


def numpy_weights(z: np.ndarray, bins: int, alpha: float) -> np.ndarray:
    """prod_i w_i, normalised."""
    w = numpy_per_dim(z, bins, alpha).prod(axis=1)
    return w / w.sum()


def numpy_max_weights(z: np.ndarray, bins: int, alpha: float) -> np.ndarray:
    """max_i of each dimension's normalised w_i, normalised."""
    per_dim = numpy_per_dim(z, bins, alpha)
    w = (per_dim / per_dim.sum(axis=0)).max(axis=1)
    return w / w.sum()


@pytest.fixture
def codes():
    generator = torch.Generator().manual_seed(0)
    return torch.cat([torch.randn(300, 3, generator=generator), 4 + torch.rand(20, 3)])


def test_fractions_and_edges_match_numpy_histogram(codes):
    hist = LatentHistogram.fit(codes, 7)
    for i in range(3):
        counts, edges = np.histogram(codes[:, i].double().numpy(), bins=7)
        np.testing.assert_allclose(hist.fractions[i].numpy(), counts / len(codes))
        np.testing.assert_allclose(hist.edges[i].numpy(), edges, rtol=1e-12)


def test_a_constant_dimension_gets_numpy_range_of_plus_minus_half():
    z = torch.tensor([[2.0, 0.0], [2.0, 1.0], [2.0, 3.0]])
    hist = LatentHistogram.fit(z, 4)
    counts, edges = np.histogram(np.array([2.0, 2.0, 2.0]), bins=4)
    np.testing.assert_allclose(hist.edges[0].numpy(), edges)
    np.testing.assert_allclose(hist.fractions[0].numpy(), counts / 3)


@pytest.mark.parametrize("bins,alpha", [(5, 0.0), (10, 0.01), (20, 0.5)])
def test_weights_match_a_direct_numpy_computation(codes, bins, alpha):
    weights = LatentHistogram.fit(codes, bins).debiasing_weights(codes, alpha)
    expected = numpy_weights(codes.double().numpy(), bins, alpha)
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-9)


@pytest.mark.parametrize("bins,alpha", [(5, 0.0), (10, 0.01)])
def test_max_combination_matches_a_direct_numpy_computation(codes, bins, alpha):
    weights = LatentHistogram.fit(codes, bins).debiasing_weights(codes, alpha, "max")
    expected = numpy_max_weights(codes.double().numpy(), bins, alpha)
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-9)


def test_rare_codes_get_the_inverse_ratio_of_their_bin_shares():
    # 1-d: 95 codes at 0, 5 codes at 1 -> two bins with shares 0.95 and 0.05
    z = torch.cat([torch.zeros(95, 1), torch.ones(5, 1)])
    alpha = 0.01
    w = LatentHistogram.fit(z, 2).debiasing_weights(z, alpha)
    assert (w[-1] / w[0]).item() == pytest.approx((0.95 + alpha) / (0.05 + alpha))


def test_large_alpha_tends_to_uniform_and_many_dimensions_stay_finite(codes):
    hist = LatentHistogram.fit(codes, 10)
    flat = hist.debiasing_weights(codes, 1e6)
    assert torch.allclose(flat, torch.full_like(flat, 1 / len(codes)), rtol=1e-5)
    wide = torch.randn(500, 200, generator=torch.Generator().manual_seed(1))
    w = LatentHistogram.fit(wide, 50).debiasing_weights(wide, 0.0)  # a product of 200 factors
    assert torch.isfinite(w).all() and w.sum().item() == pytest.approx(1.0)


def test_codes_outside_the_fitted_range_fall_in_the_edge_bins(codes):
    hist = LatentHistogram.fit(codes, 4)
    outside = torch.tensor([[-100.0, -100.0, -100.0], [100.0, 100.0, 100.0]])
    assert hist.bin_index(outside).tolist() == [[0, 0, 0], [3, 3, 3]]


def test_log_density_is_the_sum_of_log_marginal_shares(codes):
    hist = LatentHistogram.fit(codes, 6)
    z = codes.double().numpy()
    expected = np.zeros(len(z))
    for i in range(3):
        counts, edges = np.histogram(z[:, i], bins=6)
        expected += np.log(counts[np.digitize(z[:, i], edges[1:-1])] / len(z))
    np.testing.assert_allclose(hist.log_density(codes).numpy(), expected, rtol=1e-12)


def test_resampling_keeps_the_negatives_uniform_and_the_positive_share(codes):
    positive = torch.arange(len(codes)) % 3 == 0
    probabilities, hist = resampling_probabilities(codes, positive, 8, 0.1)
    n = len(codes)
    assert probabilities.sum().item() == pytest.approx(1.0)
    np.testing.assert_allclose(probabilities[~positive].numpy(), 1 / n)
    expected = numpy_weights(codes[positive].double().numpy(), 8, 0.1) * positive.sum().item() / n
    np.testing.assert_allclose(probabilities[positive].numpy(), expected, rtol=1e-9)
    all_images, _ = resampling_probabilities(codes, None, 8, 0.1)
    np.testing.assert_allclose(all_images.numpy(), numpy_weights(codes.double().numpy(), 8, 0.1))
    by_max, _ = resampling_probabilities(codes, None, 8, 0.1, "max")
    np.testing.assert_allclose(by_max.numpy(), numpy_max_weights(codes.double().numpy(), 8, 0.1))


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda z: LatentHistogram.fit(z, 0), ConfigError, "--bins must be an integer >= 1"),
        (lambda z: LatentHistogram.fit(z, 2.5), ConfigError, "--bins must be an integer"),
        (
            lambda z: LatentHistogram.fit(z, 4).debiasing_weights(z, -1.0),
            ConfigError,
            "--alpha must be a finite number >= 0",
        ),
        (
            lambda z: LatentHistogram.fit(z, 4).debiasing_weights(z, 0.1, "sum"),
            ConfigError,
            "--combine must be one of product, max",
        ),
        (lambda z: LatentHistogram.fit(z[:, 0], 4), ShapeError, r"shaped \(N, D\)"),
        (
            lambda z: LatentHistogram.fit(z, 4).bin_index(z[:, :2]),
            ShapeError,
            "codes have 2 dimensions but the histogram was fitted to 3",
        ),
        (
            lambda z: resampling_probabilities(z, torch.zeros(len(z), dtype=torch.bool), 4, 0.1),
            ConfigError,
            "no positive image",
        ),
    ],
)
def test_bad_inputs_are_clear_errors(codes, call, error, message):
    with pytest.raises(error, match=message):
        call(codes)
