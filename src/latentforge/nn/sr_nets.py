"""The super-resolution generator of SRGAN (Ledig et al. 2017, https://arxiv.org/abs/1609.04802,
figure 4), "SRResNet":

    low-res (N, C, h, w) -> conv 9x9 -> PReLU -> [B residual blocks, conv, BN, + skip]
                         -> log2(r) x [conv 3x3, pixel shuffle x2, PReLU] -> conv 9x9
                         -> (N, C, r h, r w)

All of it is convolutional, so one network upscales images of any size. Images are in
[-1, 1] on both sides. With ``bicubic_skip`` the output is added to the bicubic upscaling of
the input, so the network learns only the missing detail (global residual learning, Kim et
al. 2016, https://arxiv.org/abs/1511.04587); it starts out as good as bicubic and trains
faster. The paper has no such skip (``--no-bicubic-skip``).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.nn.norms_activations import activation_layer
from latentforge.nn.residual import ResidualStack
from latentforge.nn.subpixel import SubPixelUpsample

SR_FACTORS = (2, 4, 8)


def bicubic_upscale(images: Tensor, factor: int) -> Tensor:
    """Bicubic interpolation (a = -0.75, as ``torch.nn.functional.interpolate``) to ``factor``
    times the size, pixel centres aligned (``align_corners=False``)."""
    return F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False)


class SRResNet(nn.Module):
    """Low-res ``(N, C, h, w)`` -> high-res ``(N, C, r h, r w)``, both in [-1, 1].

    Args:
        channels: C of the generator's image.
        factor: r, a power of two (2, 4 or 8): one x2 sub-pixel stage per factor of two.
        width: feature channels (64 in the paper).
        blocks: residual blocks B (16 in the paper).
        norm: normalisation in the residual blocks (batch in the paper).
        bicubic_skip: add the bicubic upscaling of the input to the output.
    """

    def __init__(
        self,
        channels: int,
        factor: int = 4,
        width: int = 64,
        blocks: int = 16,
        norm: str = "batch",
        bicubic_skip: bool = True,
    ) -> None:
        super().__init__()
        if factor not in SR_FACTORS:
            raise ConfigError(f"--factor must be one of {SR_FACTORS}, got {factor}")
        self.factor = factor
        self.bicubic_skip = bicubic_skip
        self.head = nn.Sequential(
            nn.Conv2d(channels, width, 9, padding=4), activation_layer("prelu")
        )
        self.body = ResidualStack(width, (1,) * blocks, norm, "prelu")
        stages = int(math.log2(factor))
        self.upsample = nn.Sequential(*[SubPixelUpsample(width, width, 2) for _ in range(stages)])
        self.tail = nn.Conv2d(width, channels, 9, padding=4)

    def forward(self, low_res: Tensor) -> Tensor:
        out = self.tail(self.upsample(self.body(self.head(low_res))))
        return out + bicubic_upscale(low_res, self.factor) if self.bicubic_skip else out


DOWNSCALE_MODES = ("area", "bicubic")


def downscale(images: Tensor, factor: int, mode: str = "area") -> Tensor:
    """Images ``(N, C, H, W)`` -> ``(N, C, H / r, W / r)`` (H and W multiples of r).

    ``area``: the mean of each r x r block (a box filter: what a sensor with r times larger
    pixels records). ``bicubic``: antialiased bicubic resampling, as MATLAB's ``imresize`` that
    made the usual super-resolution benchmarks (clamped to the input's range).
    """
    if mode == "area":
        return F.avg_pool2d(images, factor)
    if mode == "bicubic":
        low = F.interpolate(
            images, scale_factor=1.0 / factor, mode="bicubic", align_corners=False, antialias=True
        )
        return low.clamp(images.min().item(), images.max().item())
    raise ConfigError(f"--downscale must be one of {', '.join(DOWNSCALE_MODES)}, got {mode!r}")
