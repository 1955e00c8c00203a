"""Upsampling by a fixed factor to an exact target size, three ways.

- ``transposed``: a stride-2 transposed convolution (learned upsampling; can show
  checkerboard artefacts, Odena et al. 2016, https://distill.pub/2016/deconv-checkerboard/);
- ``nearest`` / ``bilinear``: interpolate to the target size, then a 3x3 convolution.

The target size is given explicitly, so decoders invert encoders of any image size
(28 -> 14 -> 7 -> 4 goes back 4 -> 7 -> 14 -> 28).
"""

from __future__ import annotations

from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.nn.layers import activation_layer, norm_layer
from latentforge.nn.transposed_conv import output_padding_for

UPSAMPLE_MODES = ("transposed", "nearest", "bilinear")


class Upsample(nn.Module):
    """Upsample ``(N, C_in, h, w)`` to ``(N, C_out, H, W)`` with a learned convolution."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_size: tuple[int, int],
        out_size: tuple[int, int],
        mode: str = "transposed",
    ) -> None:
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ConfigError(
                f"unknown upsampling {mode!r}; choose one of: {', '.join(UPSAMPLE_MODES)}"
            )
        self.mode = mode
        self.out_size = tuple(out_size)
        if mode == "transposed":
            pads = [output_padding_for(i, o, 3, 2, 1) for i, o in zip(in_size, out_size)]
            self.conv: nn.Module = nn.ConvTranspose2d(
                in_channels, out_channels, 3, stride=2, padding=1, output_padding=tuple(pads)
            )
            self.resize: nn.Module = nn.Identity()
        else:
            align = False if mode == "bilinear" else None
            self.resize = nn.Upsample(size=self.out_size, mode=mode, align_corners=align)
            self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(self.resize(x))


class UpBlock(nn.Sequential):
    """``Upsample -> norm -> activation``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_size: tuple[int, int],
        out_size: tuple[int, int],
        mode: str = "transposed",
        norm: str = "none",
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__(
            Upsample(in_channels, out_channels, in_size, out_size, mode),
            norm_layer(norm, out_channels),
            activation_layer(activation),
        )
