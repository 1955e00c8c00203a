"""Progressive GAN layers against their formulas: equalized learning rate, pixel norm and the
minibatch standard deviation (Karras et al. 2018)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentforge.errors import ConfigError
from latentforge.nn.progan_layers import (
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
    group_size_for,
)


def test_equalized_conv_scales_n01_weights_by_the_he_constant() -> None:
    torch.manual_seed(0)
    conv = EqualizedConv2d(6, 5, 3, gain=math.sqrt(2.0))
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 6, 7, 7)
    c = math.sqrt(2.0) / math.sqrt(6 * 3 * 3)  # gain / sqrt(fan_in)
    expected = F.conv2d(x, conv.weight * c, conv.bias, padding=1)
    torch.testing.assert_close(conv(x), expected)
    assert conv(x).shape == (2, 5, 7, 7)
    # the stored weights are N(0, 1), the biases start at 0
    big = EqualizedConv2d(64, 64, 3)
    assert big.weight.std().item() == pytest.approx(1.0, abs=0.02)
    assert torch.count_nonzero(big.bias) == 0


def test_equalized_linear_keeps_unit_variance_with_gain_one() -> None:
    # Var(sum_i c w_i x_i) = fan_in * c^2 = 1 for c = 1 / sqrt(fan_in), w, x ~ N(0, 1)
    torch.manual_seed(1)
    layer = EqualizedLinear(512, 256, gain=1.0)
    x = torch.randn(2048, 512)
    torch.testing.assert_close(layer(x), x @ (layer.weight / math.sqrt(512)).T + layer.bias)
    assert layer(x).var().item() == pytest.approx(1.0, abs=0.1)


def test_equalized_gradient_is_scaled_like_the_weight() -> None:
    # d/dW of f(cW) is c f'(cW): the parameter moves in units of the He constant
    layer = EqualizedLinear(9, 1, gain=1.0)
    x = torch.randn(4, 9)
    layer(x).sum().backward()
    torch.testing.assert_close(layer.weight.grad, x.sum(0, keepdim=True) / 3.0)


def test_even_kernel_is_refused() -> None:
    with pytest.raises(ConfigError, match="odd kernel"):
        EqualizedConv2d(1, 1, 4)


def test_pixel_norm_by_the_formula() -> None:
    x = torch.randn(3, 5, 4, 4, dtype=torch.float64)
    out = PixelNorm()(x)
    expected = x / torch.sqrt((x**2).sum(dim=1, keepdim=True) / 5 + 1e-8)
    torch.testing.assert_close(out, expected)
    # every pixel's feature vector has mean square ~1
    torch.testing.assert_close(out.square().mean(1), torch.ones(3, 4, 4, dtype=torch.float64))
    vectors = torch.tensor([[3.0, 4.0]])  # mean square 12.5
    torch.testing.assert_close(PixelNorm(eps=0.0)(vectors), vectors / math.sqrt(12.5))


def _reference_mbstd(x: np.ndarray, group: int) -> np.ndarray:
    """Loop over groups: sample i is in group i % (N / G); population std per feature."""
    n = x.shape[0]
    m = n // group
    out = np.empty(n)
    for j in range(m):
        members = x[j::m]  # samples j, j + m, j + 2m, ...
        out[j::m] = np.sqrt(members.var(axis=0) + 1e-8).mean()
    return out


@pytest.mark.parametrize(("batch", "group"), [(8, 4), (6, 4), (5, 4), (4, 2)])
def test_minibatch_stddev_against_a_loop(batch: int, group: int) -> None:
    torch.manual_seed(batch)
    x = torch.randn(batch, 3, 2, 2, dtype=torch.float64)
    out = MinibatchStdDev(group)(x)
    assert out.shape == (batch, 4, 2, 2)
    torch.testing.assert_close(out[:, :3], x)
    expected = _reference_mbstd(x.numpy(), group_size_for(batch, group))
    for i in range(batch):
        torch.testing.assert_close(out[i, 3], torch.full((2, 2), expected[i], dtype=x.dtype))


def test_group_size_divides_the_batch() -> None:
    assert [group_size_for(n, 4) for n in (1, 2, 3, 4, 5, 6, 8, 9)] == [1, 2, 3, 4, 1, 3, 4, 3]
    with pytest.raises(ConfigError, match=">= 2"):
        MinibatchStdDev(1)


def test_identical_images_have_zero_spread() -> None:
    x = torch.randn(1, 2, 3, 3).expand(4, 2, 3, 3)
    assert MinibatchStdDev(4)(x)[:, 2].max().item() == pytest.approx(1e-4)  # sqrt(eps)
