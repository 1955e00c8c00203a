r"""The layers of the progressive GAN (Karras et al. 2018, https://arxiv.org/abs/1710.10196,
section 4): equalized learning rate, pixel norm and the minibatch standard deviation.

- **Equalized learning rate** (section 4.1): weights are drawn from N(0, 1) and scaled at
  run time by the He constant, :math:`\hat w = c\, w` with :math:`c = g / \sqrt{\text{fan-in}}`
  (g = sqrt(2) before a (leaky) ReLU, 1 for a linear output). Adam's step is about the same size
  for every weight whatever its scale, so with the scale outside the parameter every layer learns
  at the same speed.
- **Pixel norm** (section 4.2): each pixel's feature vector is scaled to unit mean square,
  :math:`b_{x,y} = a_{x,y} / \sqrt{\frac1C \sum_j (a^j_{x,y})^2 + \epsilon}`, with
  :math:`\epsilon = 10^{-8}`; used in the generator after every convolution, instead of batch norm.
- **Minibatch standard deviation** (section 3): the discriminator sees how varied a group of
  images is: the standard deviation of each feature at each position over the group, averaged
  into one number, appended as an extra constant feature map, so a generator that makes too
  little variety is easy to spot.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from latentforge.errors import ConfigError

HE_GAIN = math.sqrt(2.0)
PIXEL_NORM_EPS = 1e-8


class EqualizedLinear(nn.Module):
    r"""``y = x (c W)^T + b`` with ``W ~ N(0, 1)``, ``b = 0``, ``c = gain / sqrt(fan_in)``."""

    def __init__(self, in_features: int, out_features: int, gain: float = HE_GAIN) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.scale = gain / math.sqrt(in_features)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class EqualizedConv2d(nn.Module):
    r"""A stride-1 ``k x k`` convolution with "same" padding and weights ``c W``, ``W ~ N(0, 1)``,
    ``c = gain / sqrt(in_channels k^2)``; bias 0 at the start."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, gain: float = HE_GAIN
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ConfigError(f"equalized convolutions need an odd kernel, got {kernel_size}")
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class PixelNorm(nn.Module):
    r"""``a / sqrt(mean_j a_j^2 + eps)`` over the channel axis (dim 1), for ``(N, C)`` vectors
    or ``(N, C, H, W)`` feature maps (each pixel on its own)."""

    def __init__(self, eps: float = PIXEL_NORM_EPS) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + self.eps)


def group_size_for(batch: int, group_size: int) -> int:
    """The largest group size <= ``group_size`` that divides ``batch`` (so every group is full)."""
    size = max(1, min(group_size, batch))
    while batch % size:
        size -= 1
    return size


class MinibatchStdDev(nn.Module):
    r"""Append one feature map holding the group's mean standard deviation: ``(N, C, H, W) ->
    (N, C + 1, H, W)``.

    The batch is split into groups of G images (sample i joins group ``i mod (N / G)``, as in
    the paper's code); for each group

    .. math::  s = \frac{1}{CHW} \sum_{c,h,w} \sqrt{\frac1G \sum_{g} (x_{gchw} - \bar x_{chw})^2
               + 10^{-8}},

    and every image of the group gets a constant map of value ``s``. G is ``group_size``, or the
    largest divisor of N below it.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        if group_size < 2:
            raise ConfigError(
                f"the minibatch standard deviation needs groups of >= 2 images, got {group_size}"
            )
        self.group_size = group_size

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        g = group_size_for(n, self.group_size)
        # (N, C, H, W) -> (G, N/G, C, H, W): sample i lands in group i % (N/G)
        groups = x.reshape(g, n // g, c, h, w)
        std = (groups.var(dim=0, unbiased=False) + 1e-8).sqrt()  # (N/G, C, H, W)
        value = std.mean(dim=(1, 2, 3))  # (N/G,)
        feature = value.view(1, n // g, 1, 1, 1).expand(g, n // g, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, feature], dim=1)
