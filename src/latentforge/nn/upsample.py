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
from latentforge.nn.norms_activations import activation_layer, norm_layer
from latentforge.nn.transposed_conv import transposed_padding_for

UPSAMPLE_MODES = ("transposed", "nearest", "bilinear")


class Upsample(nn.Module):
    """Upsample ``(N, C_in, h, w)`` to ``(N, C_out, H, W)`` with a learned convolution.

    ``kernel_size`` is that of the transposed convolution (3, or 4 as in DCGAN; padding
    per dimension from :func:`transposed_padding_for`); resize modes convolve with 3x3.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_size: tuple[int, int],
        out_size: tuple[int, int],
        mode: str = "transposed",
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ConfigError(
                f"unknown upsampling {mode!r}; choose one of: {', '.join(UPSAMPLE_MODES)}"
            )
        self.mode = mode
        self.out_size = tuple(out_size)
        if mode == "transposed":
            pads = [transposed_padding_for(i, o, kernel_size, 2) for i, o in zip(in_size, out_size)]
            self.conv: nn.Module = nn.ConvTranspose2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=2,
                padding=tuple(p for p, _ in pads),
                output_padding=tuple(op for _, op in pads),
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
        kernel_size: int = 3,
    ) -> None:
        super().__init__(
            Upsample(in_channels, out_channels, in_size, out_size, mode, kernel_size),
            norm_layer(norm, out_channels),
            activation_layer(activation),
        )
