"""Reconstruction losses against hand computations, scipy and the Gaussian NLL identity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from latentforge.errors import ConfigError, ShapeError
from latentforge.losses import (
    DECODER_NLL,
    RECONSTRUCTION_LOSSES,
    bce_per_sample_with_logits,
    bce_sum_with_logits,
    gaussian_nll_sum,
    mse_per_sample,
    mse_sum,
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _bernoulli_nll(logit: float, target: float) -> float:
    """-[t log s + (1 - t) log(1 - s)] with s = sigmoid(logit), from the definition."""
    s = _sigmoid(logit)
    return -(target * math.log(s) + (1.0 - target) * math.log(1.0 - s))


def test_mse_sum_by_hand() -> None:
    recon = torch.tensor([[[0.5, 1.0]], [[0.0, 0.25]]])  # (2, 1, 2)
    target = torch.tensor([[[1.0, 1.0]], [[0.5, 0.0]]])
    # image 0: 0.5^2 + 0^2 = 0.25; image 1: 0.5^2 + 0.25^2 = 0.3125
    assert torch.allclose(mse_per_sample(recon, target), torch.tensor([0.25, 0.3125]))
    assert mse_sum(recon, target).item() == pytest.approx((0.25 + 0.3125) / 2)


def test_bce_sum_with_logits_by_hand() -> None:
    logits = [[0.0, 2.0], [-1.0, 3.0]]
    target = [[1.0, 0.0], [0.5, 1.0]]
    per_image = [
        sum(_bernoulli_nll(l, t) for l, t in zip(ls, ts, strict=True))
        for ls, ts in zip(logits, target, strict=True)
    ]
    got = bce_per_sample_with_logits(torch.tensor(logits), torch.tensor(target))
    assert got.tolist() == pytest.approx(per_image, rel=1e-6)
    assert bce_sum_with_logits(torch.tensor(logits), torch.tensor(target)).item() == pytest.approx(
        sum(per_image) / 2, rel=1e-6
    )
    # the first image worked out by hand: log 2 + log(1 + e^2)
    assert got[0].item() == pytest.approx(math.log(2) + math.log(1 + math.e**2), rel=1e-6)


def test_bce_is_finite_for_extreme_logits() -> None:
    logits = torch.tensor([[100.0, -100.0, 100.0]])
    target = torch.tensor([[0.0, 0.0, 1.0]])
    # -log(1 - sigmoid(100)) = log(1 + e^100) = 100 + log(1 + e^-100) ~ 100; the others ~ 0
    assert bce_sum_with_logits(logits, target).item() == pytest.approx(100.0, abs=1e-4)


def test_bce_is_the_bernoulli_log_likelihood_for_binary_targets() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 1, 4, 4, generator=gen, dtype=torch.float64)
    target = (torch.rand(5, 1, 4, 4, generator=gen) > 0.5).double()
    probs = torch.sigmoid(logits).numpy()
    log_lik = stats.bernoulli.logpmf(target.numpy(), probs).reshape(5, -1).sum(axis=1)
    assert bce_sum_with_logits(logits, target).item() == pytest.approx(-log_lik.mean(), rel=1e-9)


def test_gaussian_nll_sum_matches_scipy() -> None:
    gen = torch.Generator().manual_seed(1)
    mean = torch.randn(3, 2, 4, 4, generator=gen, dtype=torch.float64)
    target = torch.rand(3, 2, 4, 4, generator=gen, dtype=torch.float64)
    logvar = torch.tensor([-1.0, 0.5], dtype=torch.float64).view(1, 2, 1, 1)
    std = np.exp(0.5 * logvar.numpy())
    log_lik = stats.norm.logpdf(target.numpy(), loc=mean.numpy(), scale=std)
    expected = -log_lik.reshape(3, -1).sum(axis=1).mean()
    assert gaussian_nll_sum(mean, target, logvar).item() == pytest.approx(expected, rel=1e-9)


def test_unit_variance_gaussian_nll_is_half_mse_plus_constant() -> None:
    gen = torch.Generator().manual_seed(2)
    mean = torch.rand(4, 1, 3, 5, generator=gen, dtype=torch.float64)
    target = torch.rand(4, 1, 3, 5, generator=gen, dtype=torch.float64)
    d = 15
    expected = 0.5 * mse_sum(mean, target).item() + d / 2 * math.log(2 * math.pi)
    assert gaussian_nll_sum(mean, target).item() == pytest.approx(expected, rel=1e-12)
    # mse_sum is exactly the NLL of a Gaussian with variance 1/2, minus (D/2) log(pi)
    half = gaussian_nll_sum(mean, target, logvar=math.log(0.5)).item()
    assert mse_sum(mean, target).item() == pytest.approx(half - d / 2 * math.log(math.pi))


def test_gaussian_nll_rejects_a_logvar_that_does_not_broadcast() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ShapeError, match="logvar"):
        gaussian_nll_sum(x, x, torch.zeros(4))
    with pytest.raises(ShapeError, match="logvar"):
        gaussian_nll_sum(x, x, torch.zeros(5, 2, 3))


def test_registry_bce_uses_logits() -> None:
    logits = torch.zeros(2, 1, 1, 2)
    target = torch.tensor([1.0, 0.0]).expand(2, 1, 1, 2)
    # sigmoid(0) = 1/2: each pixel costs log 2, two pixels per image
    assert RECONSTRUCTION_LOSSES.get("bce")(logits, target).item() == pytest.approx(2 * math.log(2))


def test_registry_mse_applies_sigmoid_first() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)]])  # sigmoid -> [1/2, 3/4]
    target = torch.tensor([[1.0, 0.0]])
    # (1 - 1/2)^2 + (3/4)^2 = 0.25 + 0.5625
    assert RECONSTRUCTION_LOSSES.get("mse")(logits, target).item() == pytest.approx(0.8125)


def test_registry_names_and_unknown_name() -> None:
    assert RECONSTRUCTION_LOSSES.names() == ["bce", "mse"]
    with pytest.raises(ConfigError, match="bce, mse"):
        RECONSTRUCTION_LOSSES.get("l1")


@pytest.mark.parametrize("loss", [mse_sum, bce_sum_with_logits, gaussian_nll_sum])
def test_shape_mismatch_and_empty_batch_fail(loss) -> None:
    with pytest.raises(ShapeError, match="same shape"):
        loss(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 3))
    with pytest.raises(ShapeError, match="non-empty batch"):
        loss(torch.zeros(0, 3), torch.zeros(0, 3))


def test_losses_are_summed_over_pixels_not_averaged() -> None:
    # doubling the image size doubles the per-image loss; doubling the batch leaves it alone
    small = mse_sum(torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)).item()
    wide = mse_sum(torch.zeros(2, 1, 2, 4), torch.ones(2, 1, 2, 4)).item()
    batch = mse_sum(torch.zeros(4, 1, 2, 2), torch.ones(4, 1, 2, 2)).item()
    assert (small, wide, batch) == (4.0, 8.0, 4.0)


def test_the_per_image_registry_is_the_training_loss_per_image_plus_its_constant():
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(5, 2, 3, 4, generator=generator)
    target = torch.rand(5, 2, 3, 4, generator=generator)
    assert DECODER_NLL.names() == RECONSTRUCTION_LOSSES.names()
    constants = {"bce": 0.0, "mse": 0.5 * 24 * math.log(math.pi)}  # (D/2) log(pi), D = 24
    for name, constant in constants.items():
        per_image = DECODER_NLL.get(name)(logits, target)
        assert per_image.shape == (5,)
        torch.testing.assert_close(
            per_image.mean() - constant, RECONSTRUCTION_LOSSES.get(name)(logits, target)
        )
