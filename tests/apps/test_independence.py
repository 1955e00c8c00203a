"""The independence report and code helpers on synthetic codes and a stand-in model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentforge.apps.coordinates import fit_pca_whitening
from latentforge.apps.independence import (
    active_dimensions,
    independence_report,
    reconstruction_mse,
)
from latentforge.apps.latent_codes import EncodedSet, encode_images, encode_set, take_images
from latentforge.apps.total_correlation import gaussian_total_correlation
from latentforge.data.base import TensorImageSet
from latentforge.errors import ConfigError, DataError
from latentforge.models.capabilities import Encodes, GivesLikelihood


def _codes(n: int = 600, seed: int = 0) -> torch.Tensor:
    """Two correlated active dimensions and one nearly constant (inactive) one."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, generator=g, dtype=torch.float64)
    b = 0.6 * a + 0.8 * torch.randn(n, generator=g, dtype=torch.float64)
    dead = 0.01 * torch.randn(n, generator=g, dtype=torch.float64)
    return torch.stack([a, b, dead], dim=1).float()


def test_active_dimensions_are_those_whose_means_vary() -> None:
    assert active_dimensions(_codes()) == [0, 1]


def test_report_numbers_follow_their_formulas() -> None:
    means = _codes()
    logvars = torch.full_like(means, math.log(0.5))
    report = independence_report(EncodedSet(means, logvars), seed=0)
    numbers = report.numbers
    assert numbers["active_dims"] == 2 and numbers["ica_components"] == 2
    np.testing.assert_allclose(report.correlation, np.corrcoef(means.double().numpy().T))
    tc = gaussian_total_correlation(np.cov(means.double().numpy().T))
    assert numbers["tc_gaussian"] == pytest.approx(tc, abs=1e-5)
    # KL(N(mu, 0.5) || N(0, 1)) per dimension, averaged over images.
    kl = 0.5 * (means.double().square() + 0.5 - 1 - math.log(0.5)).mean(0)
    np.testing.assert_allclose(numbers["kl_per_dim"], kl.numpy(), atol=1e-5)
    assert report.ica is not None and report.ica.components == 2
    assert {"tc_aggregate", "tc_knn_codes", "tc_knn_pca", "tc_knn_ica"} <= set(numbers)


def test_an_autoencoder_report_has_no_posterior_numbers() -> None:
    report = independence_report(EncodedSet(_codes()), components=3, ica=False)
    assert "kl_per_dim" not in report.numbers and "tc_aggregate" not in report.numbers
    assert report.ica is None
    with pytest.raises(ConfigError, match="--ica must be between 1 and the latent size 3"):
        independence_report(EncodedSet(_codes()), components=5)


class _LinearCodec(Encodes):
    """encode: the first 3 pixels; decode: those 3 values followed by zeros."""

    def encode(self, images):
        return images.flatten(1)[:, :3]

    def decode(self, z):
        out = torch.zeros(z.shape[0], 6)
        out[:, :3] = z
        return out.view(-1, 1, 2, 3)


def test_reconstruction_error_directly_and_through_coordinates() -> None:
    images = torch.rand(40, 1, 2, 3, generator=torch.Generator().manual_seed(0))
    model = _LinearCodec()
    expected = images.flatten(1)[:, 3:].square().sum(1).mean() / 6
    assert reconstruction_mse(model, images) == pytest.approx(float(expected), rel=1e-5)
    full = fit_pca_whitening(model.encode(images))
    assert reconstruction_mse(model, images, full) == pytest.approx(float(expected), rel=1e-4)
    one = fit_pca_whitening(model.encode(images), components=1)
    assert reconstruction_mse(model, images, one) > reconstruction_mse(model, images)


class _VaeLike(_LinearCodec, GivesLikelihood):
    def encode_distribution(self, images):
        mu = self.encode(images)
        return mu, torch.full_like(mu, -1.0)


def test_encoding_a_set_in_batches_matches_one_pass() -> None:
    images = torch.randint(0, 256, (25, 1, 2, 3), dtype=torch.uint8)
    image_set = TensorImageSet(images)
    floats = images.float() / 255
    for model in (_LinearCodec(), _VaeLike()):
        encoded = encode_set(model, image_set, max_images=20, batch_size=6)
        torch.testing.assert_close(encoded.means, model.encode(floats[:20]))
        assert (encoded.logvars is None) == (not isinstance(model, GivesLikelihood))
        whole = encode_images(model, floats, batch_size=7)
        assert len(whole) == 25 and whole.dim == 3
    with pytest.raises(DataError, match="index 25 is outside the split"):
        take_images(image_set, [0, 25], torch.device("cpu"))
    with pytest.raises(ConfigError, match="--max-images"):
        encode_set(_LinearCodec(), image_set, max_images=1)
