r"""Growing generator and discriminator of the progressive GAN (Karras et al. 2018,
https://arxiv.org/abs/1710.10196, section 2 and table 2).

Stage s works at ``base * 2^s`` pixels (``base = image_size / 2^(S-1)``, 4x4 for a 32x32 or
64x64 image). Both networks hold the blocks of every stage from the start and run those up to
the current one. While stage s fades in, its new block is blended with the previous stage's
output, with a weight alpha that grows from 0 to 1:

.. math::  G_{s,\alpha}(z) = (1 - \alpha)\, \mathrm{up}(\mathrm{rgb}_{s-1}(h_{s-1}))
           + \alpha\, \mathrm{rgb}_s(B_s(h_{s-1})),

.. math::  D_{s,\alpha}(x) = D_{<s}\big((1 - \alpha)\, \mathrm{fromrgb}_{s-1}(\mathrm{down}(x))
           + \alpha\, B^D_s(\mathrm{fromrgb}_s(x))\big),

with ``up`` nearest-neighbour doubling and ``down`` 2x2 average pooling. At alpha = 0 stage s is
exactly stage s - 1 (upsampled, or applied to the downsampled image); at alpha = 1 the old
branch is not computed at all, so its weights get no gradient.

Every layer uses the equalized learning rate; the generator pixel-normalises its input noise and
every convolution's output (no batch norm anywhere); the discriminator appends the minibatch
standard deviation before its last block. Generator outputs are linear (no tanh), as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.nn.progan_layers import (
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
)

MIN_BASE_SIDE = 4


def max_stages(image_size: tuple[int, int], min_side: int = MIN_BASE_SIDE) -> int:
    """The most stages that halve ``image_size`` exactly down to a base whose smaller side is
    still >= ``min_side`` (32x32 -> 4 stages from 4x4, 28x28 -> 3 from 7x7); at least 1."""
    h, w = image_size
    stages = 1
    while h % 2 == 0 and w % 2 == 0 and min(h, w) // 2 >= min_side:
        h, w, stages = h // 2, w // 2, stages + 1
    return stages


def stage_sizes(image_size: tuple[int, int], num_stages: int) -> list[tuple[int, int]]:
    """``[base, 2 base, ..., image_size]`` (``num_stages`` entries); a ConfigError when the image
    does not halve exactly ``num_stages - 1`` times."""
    h, w = image_size
    factor = 2 ** (num_stages - 1)
    if num_stages < 1 or h % factor or w % factor:
        raise ConfigError(
            f"--num-stages {num_stages}: a {h}x{w} image does not halve exactly "
            f"{num_stages - 1} times; use at most {max_stages((h, w), 1)} stages, or resize the "
            "data with --image-size (e.g. 32 or 64)"
        )
    return [(h * 2**s // factor, w * 2**s // factor) for s in range(num_stages)]


def stage_channels(num_stages: int, max_channels: int, min_channels: int) -> list[int]:
    """Feature maps per stage, smallest resolution first: ``min_channels`` at the last stage,
    doubling towards the base, capped at ``max_channels`` (the paper: 512 up to 32x32, then
    halving)."""
    return [min(max_channels, min_channels * 2 ** (num_stages - 1 - s)) for s in range(num_stages)]


def downscale(images: Tensor, factor: int) -> Tensor:
    """Average ``factor x factor`` pixel blocks: ``(N, C, H, W) -> (N, C, H / f, W / f)``."""
    return F.avg_pool2d(images, factor) if factor > 1 else images


def upscale(images: Tensor, factor: int) -> Tensor:
    """Repeat each pixel ``factor x factor`` times (nearest neighbour)."""
    return F.interpolate(images, scale_factor=factor, mode="nearest") if factor > 1 else images


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(0.2)


def _conv_act(c_in: int, c_out: int, pixel_norm: bool) -> list[nn.Module]:
    """3x3 equalized conv -> LeakyReLU(0.2) [-> pixel norm]."""
    layers = [EqualizedConv2d(c_in, c_out, 3), _lrelu()]
    return layers + [PixelNorm()] if pixel_norm else layers


class _Growing(nn.Module):
    """The stage and alpha a network runs at when ``forward`` is not told; the model sets them
    from its training clock (:meth:`set_growth`) before every use. New networks run the last
    stage, so they map full-size images."""

    def __init__(self, num_stages: int) -> None:
        super().__init__()
        self.num_stages = num_stages
        self.stage, self.alpha = num_stages - 1, 1.0

    def set_growth(self, stage: int, alpha: float) -> None:
        self.stage, self.alpha = self._checked(stage, alpha)

    def _checked(self, stage: int | None, alpha: float | None) -> tuple[int, float]:
        stage = self.stage if stage is None else stage
        alpha = self.alpha if alpha is None else alpha
        if not 0 <= stage < self.num_stages or not 0.0 <= alpha <= 1.0:
            raise ConfigError(
                f"stage must be in [0, {self.num_stages - 1}] and alpha in [0, 1]; "
                f"got stage {stage}, alpha {alpha}"
            )
        return stage, float(alpha if stage > 0 else 1.0)


class GrowingGenerator(_Growing):
    """Noise ``(N, z_dim)`` -> images ``(N, C, h_s, w_s)`` (roughly [-1, 1]) at stage s."""

    def __init__(
        self,
        z_dim: int,
        out_channels: int,
        image_size: tuple[int, int],
        num_stages: int,
        channels: Sequence[int],
    ) -> None:
        super().__init__(num_stages)
        self.sizes = stage_sizes(image_size, num_stages)
        c0, (h0, w0) = channels[0], self.sizes[0]
        self.start_shape = (c0, h0, w0)
        # the paper's first "4x4 conv" is a dense layer with gain sqrt(2)/4 (its reference code)
        self.project = nn.Sequential(
            PixelNorm(), EqualizedLinear(z_dim, c0 * h0 * w0, gain=math.sqrt(2.0) / 4.0)
        )
        self.start = nn.Sequential(_lrelu(), PixelNorm(), *_conv_act(c0, c0, True))
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"),
                *_conv_act(c_in, c_out, True),
                *_conv_act(c_out, c_out, True),
            )
            for c_in, c_out in zip(channels[:-1], channels[1:])
        )  # blocks[s - 1] grows stage s - 1 into stage s
        self.to_rgb = nn.ModuleList(EqualizedConv2d(c, out_channels, 1, gain=1.0) for c in channels)

    def forward(self, z: Tensor, stage: int | None = None, alpha: float | None = None) -> Tensor:
        stage, alpha = self._checked(stage, alpha)
        h = self.project(z).view(z.shape[0], *self.start_shape)  # (N, C0*h0*w0) -> (N, C0, h0, w0)
        h = self.start(h)
        for block in list(self.blocks)[: max(stage - 1, 0)]:
            h = block(h)  # up to stage s - 1
        if stage == 0:
            return self.to_rgb[0](h)
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        if alpha >= 1.0:
            return new
        old = upscale(self.to_rgb[stage - 1](h), 2)
        return torch.lerp(old, new, alpha)


class GrowingDiscriminator(_Growing):
    """Images ``(N, C, h_s, w_s)`` in [-1, 1] at stage s -> scores ``(N,)``."""

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        num_stages: int,
        channels: Sequence[int],
        mbstd_group: int = 4,
    ) -> None:
        super().__init__(num_stages)
        sizes = stage_sizes(image_size, num_stages)
        c0, (h0, w0) = channels[0], sizes[0]
        self.from_rgb = nn.ModuleList(
            nn.Sequential(EqualizedConv2d(in_channels, c, 1), _lrelu()) for c in channels
        )
        self.blocks = nn.ModuleList(
            nn.Sequential(
                *_conv_act(c_out, c_out, False),
                *_conv_act(c_out, c_in, False),
                nn.AvgPool2d(2),
            )
            for c_in, c_out in zip(channels[:-1], channels[1:])
        )  # blocks[s - 1] takes stage s features down to stage s - 1
        mbstd = [MinibatchStdDev(mbstd_group)] if mbstd_group else []
        self.final = nn.Sequential(
            *mbstd,
            *_conv_act(c0 + len(mbstd), c0, False),
            nn.Flatten(),
            EqualizedLinear(c0 * h0 * w0, c0),
            _lrelu(),
            EqualizedLinear(c0, 1, gain=1.0),
        )

    def forward(self, x: Tensor, stage: int | None = None, alpha: float | None = None) -> Tensor:
        stage, alpha = self._checked(stage, alpha)
        h = self.from_rgb[stage](x)
        if stage > 0:
            h = self.blocks[stage - 1](h)
            if alpha < 1.0:
                h = torch.lerp(self.from_rgb[stage - 1](downscale(x, 2)), h, alpha)
            for block in reversed(self.blocks[: stage - 1]):
                h = block(h)
        return self.final(h).squeeze(1)  # (N, 1) -> (N,)
