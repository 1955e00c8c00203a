"""Hole PSNR / SSIM against hand computations; the mean and harmonic fills."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentforge.apps.classical_fills import harmonic_fill, mean_fill
from latentforge.errors import ShapeError
from latentforge.metrics.hole_quality import (
    per_image_hole_mse,
    per_image_hole_psnr,
    per_image_hole_ssim,
)
from latentforge.metrics.image_quality import per_image_ssim, ssim_map


def test_hole_psnr_counts_only_the_hole() -> None:
    target = torch.zeros(1, 2, 4, 4)
    pred = target.clone()
    masks = torch.zeros(1, 1, 4, 4)
    masks[0, 0, 1:3, 1:3] = 1  # 4 pixels x 2 channels
    pred[0, 0, 1, 1] = 0.5  # inside: squared error 0.25 over 8 values
    pred[0, 1, 0, 0] = 1.0  # outside: ignored
    assert per_image_hole_mse(pred, target, masks).item() == pytest.approx(0.25 / 8)
    assert per_image_hole_psnr(pred, target, masks).item() == pytest.approx(10 * math.log10(32))


def test_hole_ssim_averages_the_map_over_windows_centred_in_the_hole() -> None:
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(2, 1, 24, 20, generator=generator)
    pred = (target + 0.1 * torch.rand(2, 1, 24, 20, generator=generator)).clamp(0, 1)
    masks = torch.zeros(2, 1, 24, 20)
    masks[0, :, 6:12, 5:9] = 1
    masks[1, :, 10:20, 10:20] = 1
    values = ssim_map(pred, target)[:, 0]  # (2, 14, 10); window [i, j] centred at (i+5, j+5)
    expected = []
    for n in range(2):
        picked = [
            values[n, i, j]
            for i in range(values.shape[1])
            for j in range(values.shape[2])
            if masks[n, 0, i + 5, j + 5] > 0
        ]
        expected.append(torch.stack(picked).mean())
    torch.testing.assert_close(per_image_hole_ssim(pred, target, masks), torch.stack(expected))
    torch.testing.assert_close(values.flatten(1).mean(1), per_image_ssim(pred, target))


def test_hole_ssim_is_nan_without_a_window_centred_in_the_hole_and_masks_are_checked() -> None:
    x = torch.rand(1, 1, 16, 16)
    border = torch.zeros(1, 1, 16, 16)
    border[..., 0:2, :] = 1
    assert math.isnan(per_image_hole_ssim(x, x, border).item())
    with pytest.raises(ShapeError, match="at least one hole"):
        per_image_hole_psnr(x, x, torch.zeros(1, 1, 16, 16))
    with pytest.raises(ShapeError):
        per_image_hole_psnr(x, x, torch.ones(1, 1, 8, 8))


def test_mean_fill_uses_the_mean_of_the_known_pixels_per_channel() -> None:
    images = torch.tensor([[[[1.0, 2.0], [3.0, 10.0]], [[0.0, 0.0], [6.0, 5.0]]]])
    masks = torch.tensor([[[[0.0, 0.0], [0.0, 1.0]]]])
    filled = mean_fill(images, masks)
    assert filled[0, 0, 1, 1] == 2.0 and filled[0, 1, 1, 1] == 2.0
    torch.testing.assert_close(filled * (1 - masks), images * (1 - masks))


def _ramp(h: int, w: int) -> torch.Tensor:
    rows = torch.arange(h, dtype=torch.float64)[:, None]
    cols = torch.arange(w, dtype=torch.float64)[None]
    return (0.2 + 0.03 * rows - 0.01 * cols)[None, None]


def test_harmonic_fill_reproduces_a_linear_ramp_exactly() -> None:
    image = _ramp(15, 13).repeat(1, 3, 1, 1)  # three channels, one solve
    masks = torch.zeros(1, 1, 15, 13)
    masks[..., 3:11, 2:9] = 1
    masks[..., 12, 5:7] = 1  # a second hole
    torch.testing.assert_close(harmonic_fill(image, masks), image, atol=1e-12, rtol=0)


def test_harmonic_fill_solves_the_discrete_laplace_equation() -> None:
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(2, 1, 9, 8, generator=generator, dtype=torch.float64)
    masks = torch.zeros(2, 1, 9, 8)
    masks[0, :, 2:6, 3:7] = 1
    masks[1, :, 0:4, 0:3] = 1  # touches the border: zero-flux there
    filled = harmonic_fill(image, masks)
    torch.testing.assert_close(filled * (1 - masks), image * (1 - masks))
    u = filled[:, 0].numpy()
    for n in range(2):
        for r, c in zip(*np.nonzero(masks[n, 0].numpy())):
            neighbours = [
                u[n, r + dr, c + dc]
                for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                if 0 <= r + dr < 9 and 0 <= c + dc < 8
            ]
            assert u[n, r, c] == pytest.approx(np.mean(neighbours), abs=1e-12)


def test_a_whole_image_hole_falls_back_to_the_mean_and_shapes_are_checked() -> None:
    image = torch.rand(1, 1, 4, 4)
    out = harmonic_fill(image, torch.ones(1, 1, 4, 4))
    assert out.shape == image.shape and torch.isfinite(out).all()
    with pytest.raises(ShapeError):
        harmonic_fill(image, torch.ones(1, 4, 4))
