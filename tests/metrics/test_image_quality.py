"""MSE, PSNR and SSIM against hand computations and an independent loop implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import mse, per_image_psnr, per_image_ssim, psnr, ssim


def loop_ssim(
    x: np.ndarray,
    y: np.ndarray,
    size: int = 11,
    sigma: float = 1.5,
    k: tuple[float, float] = (0.01, 0.03),
    data_range: float = 1.0,
) -> float:
    """SSIM of one (C, H, W) pair, one window at a time (Wang et al. 2004, eqs. 13-15)."""
    offsets = np.arange(size) - (size - 1) / 2
    g = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    w = g / g.sum()
    c1, c2 = (k[0] * data_range) ** 2, (k[1] * data_range) ** 2
    values = []
    for c in range(x.shape[0]):
        for i in range(x.shape[1] - size + 1):
            for j in range(x.shape[2] - size + 1):
                a, b = x[c, i : i + size, j : j + size], y[c, i : i + size, j : j + size]
                mu_a, mu_b = np.sum(w * a), np.sum(w * b)
                var_a = np.sum(w * (a - mu_a) ** 2)
                var_b = np.sum(w * (b - mu_b) ** 2)
                cov = np.sum(w * (a - mu_a) * (b - mu_b))
                values.append(
                    (2 * mu_a * mu_b + c1)
                    * (2 * cov + c2)
                    / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
                )
    return float(np.mean(values))


def images(n: int, c: int, h: int, w: int, seed: int) -> torch.Tensor:
    return torch.rand((n, c, h, w), generator=torch.Generator().manual_seed(seed))


def test_mse_and_psnr_for_a_constant_error() -> None:
    target = 0.8 * images(3, 1, 8, 8, seed=0)
    pred = target + 0.1  # every pixel off by 0.1: MSE 0.01, PSNR 10 log10(1 / 0.01) = 20 dB
    assert mse(pred, target) == pytest.approx(0.01)
    assert psnr(pred, target) == pytest.approx(20.0)
    assert psnr(2 * pred, 2 * target, data_range=2.0) == pytest.approx(20.0)


def test_psnr_is_averaged_per_image() -> None:
    # Errors 0.1 and 0.01 give 20 dB and 40 dB: mean 30 dB, not 10 log10(1 / mean MSE) ~ 23 dB.
    target = torch.zeros(2, 1, 4, 4)
    pred = torch.stack([torch.full((1, 4, 4), 0.1), torch.full((1, 4, 4), 0.01)])
    torch.testing.assert_close(per_image_psnr(pred, target), torch.tensor([20.0, 40.0]))
    assert psnr(pred, target) == pytest.approx(30.0)


def test_identical_images() -> None:
    x = images(2, 3, 16, 16, seed=1)
    assert psnr(x, x.clone()) == math.inf
    assert ssim(x, x.clone()) == pytest.approx(1.0, abs=1e-6)


def test_ssim_matches_window_by_window_loop() -> None:
    x = images(2, 2, 14, 13, seed=2).double()
    y = (x + 0.2 * images(2, 2, 14, 13, seed=3).double()).clamp(0, 1)
    expected = [loop_ssim(x[i].numpy(), y[i].numpy()) for i in range(2)]
    torch.testing.assert_close(
        per_image_ssim(x, y), torch.tensor(expected, dtype=torch.float64), rtol=1e-10, atol=1e-12
    )
    # float32 input gives the same to float32 accuracy.
    assert ssim(x.float(), y.float()) == pytest.approx(float(np.mean(expected)), abs=1e-5)


def test_ssim_matches_scikit_image() -> None:
    from skimage import metrics  # a dev dependency: this cross-check never skips

    x = images(1, 3, 20, 24, seed=4).double()
    y = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(5))).clamp(0, 1)
    expected = metrics.structural_similarity(
        x[0].numpy(),
        y[0].numpy(),
        data_range=1.0,
        channel_axis=0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert ssim(x, y) == pytest.approx(expected, abs=1e-6)


def test_ssim_of_constant_images_by_hand() -> None:
    # No variance anywhere: the contrast-structure factor is C2 / C2 = 1 and
    # SSIM = (2 a b + C1) / (a^2 + b^2 + C1).
    a, b, c1 = 0.3, 0.5, 0.01**2
    x = torch.full((1, 1, 12, 12), a, dtype=torch.float64)
    y = torch.full((1, 1, 12, 12), b, dtype=torch.float64)
    assert ssim(x, y) == pytest.approx((2 * a * b + c1) / (a**2 + b**2 + c1), rel=1e-10)


def test_ssim_is_symmetric_and_falls_with_noise() -> None:
    x = images(2, 1, 24, 24, seed=6)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    noisy = [(x + level * noise).clamp(0, 1) for level in (0.02, 0.1, 0.3)]
    scores = [ssim(x, y) for y in noisy]
    assert scores[0] > scores[1] > scores[2]
    assert ssim(noisy[1], x) == pytest.approx(scores[1], abs=1e-6)


def test_bad_inputs_fail_early() -> None:
    x = images(1, 1, 8, 8, seed=8)
    with pytest.raises(ShapeError, match="window"):
        ssim(x, x)
    with pytest.raises(ShapeError, match="one shape"):
        psnr(x, x[:, :, :4])
    with pytest.raises(ShapeError, match="N, C, H, W"):
        mse(x[0], x[0])
    with pytest.raises(ConfigError, match="data_range"):
        psnr(x, x, data_range=0.0)


def test_window_options_reach_the_ssim_map() -> None:
    x = images(2, 1, 12, 12, seed=6).double()
    y = (x + 0.2 * images(2, 1, 12, 12, seed=7).double()).clamp(0, 1)
    window = dict(window_size=5, sigma=0.8, k1=0.05, k2=0.1)
    expected = [loop_ssim(x[i].numpy(), y[i].numpy(), 5, 0.8, (0.05, 0.1), 2.0) for i in range(2)]
    torch.testing.assert_close(
        per_image_ssim(x, y, 2.0, **window),
        torch.tensor(expected, dtype=torch.float64),
        rtol=1e-10,
        atol=1e-12,
    )
    assert ssim(x, y, 2.0, **window) == pytest.approx(float(np.mean(expected)), rel=1e-10)
