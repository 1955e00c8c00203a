"""Convolution blocks: conv -> norm -> activation, and stride-2 downsampling."""

from __future__ import annotations

from torch import nn

from latentforge.errors import ShapeError
from latentforge.nn.norms_activations import activation_layer, norm_layer


class ConvBlock(nn.Sequential):
    """``Conv2d -> norm -> activation``. The conv has no bias when a norm follows it;
    ``padding_mode`` is that of ``nn.Conv2d`` (``"reflect"`` in CycleGAN's generators)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | tuple[int, int] | None = None,
        norm: str = "none",
        activation: str = "leaky_relu",
        padding_mode: str = "zeros",
    ) -> None:
        padding = kernel_size // 2 if padding is None else padding
        super().__init__(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                bias=norm == "none",
                padding_mode=padding_mode,
            ),
            norm_layer(norm, out_channels),
            activation_layer(activation),
        )


def halved(size: int) -> int:
    """Spatial size after a 3x3, stride-2, padding-1 convolution: ceil(size / 2)."""
    return (size + 1) // 2


def halving_padding(size: int, kernel: int) -> int:
    """The smallest padding p for which a stride-2 convolution with ``kernel`` maps ``size``
    to ceil(size / 2), i.e. floor((size + 2p - kernel) / 2) + 1 = ceil(size / 2): 1 for
    kernel 3; for kernel 4, 1 when ``size`` is even and 2 when it is odd."""
    for padding in range(kernel):
        if (size + 2 * padding - kernel) // 2 + 1 == halved(size):
            return padding
    raise ShapeError(
        f"no padding lets a stride-2 convolution with kernel {kernel} halve size {size}; "
        "use kernel 3 or 4"
    )


def downsampled_sizes(size: tuple[int, int], steps: int) -> list[tuple[int, int]]:
    """``[size, size/2, size/4, ...]`` (rounded up), ``steps + 1`` entries."""
    sizes = [tuple(size)]
    for _ in range(steps):
        h, w = sizes[-1]
        sizes.append((halved(h), halved(w)))
    return sizes  # type: ignore[return-value]
