"""Sub-pixel convolution: upsampling by a learned convolution to r^2 times the channels,
then a periodic shuffle of those channels into an r times larger grid (Shi et al. 2016,
https://arxiv.org/abs/1609.05158). The shuffle ``PS`` rearranges ``(N, C r^2, H, W)`` into
``(N, C, rH, rW)``:

    PS(T)[n, c, r h + i, r w + j] = T[n, c r^2 + r i + j, h, w],   0 <= i, j < r

(``torch.nn.PixelShuffle``; :func:`pixel_shuffle_reference` spells the formula out and the
tests hold the two together). All the convolution work happens at the small size, and every
output pixel gets its own weights, so there is none of the uneven overlap that gives a
transposed convolution its checkerboard. At initialisation a checkerboard can still come
from the r^2 sub-kernels differing; :func:`icnr_` starts them equal, which makes the block
exactly "convolve, then nearest-neighbour upsample" until training moves them apart
(Aitken et al. 2017, https://arxiv.org/abs/1707.02937).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from latentforge.errors import ShapeError
from latentforge.nn.norms_activations import activation_layer


def pixel_shuffle_reference(x: Tensor, factor: int) -> Tensor:
    """The periodic shuffle by the formula above, one (i, j) offset at a time."""
    n, channels, h, w = x.shape
    if channels % (factor * factor):
        raise ShapeError(f"{channels} channels cannot be shuffled by {factor}: need C * {factor}^2")
    c_out = channels // (factor * factor)
    out = x.new_empty(n, c_out, h * factor, w * factor)
    for i in range(factor):
        for j in range(factor):
            out[:, :, i::factor, j::factor] = x[:, factor * i + j :: factor * factor]
    return out


@torch.no_grad()
def icnr_(conv: nn.Conv2d, factor: int, generator: torch.Generator | None = None) -> nn.Conv2d:
    """ICNR initialisation in place: draw the weights of ``C_out / r^2`` output channels
    (Kaiming normal) and repeat each r^2 times, so the r^2 channels that the shuffle spreads
    over one r x r cell are equal; biases repeat likewise."""
    c_out = conv.out_channels // (factor * factor)
    base = torch.empty(c_out, *conv.weight.shape[1:])
    nn.init.kaiming_normal_(base, generator=generator)
    conv.weight.copy_(base.repeat_interleave(factor * factor, dim=0))
    if conv.bias is not None:
        conv.bias.zero_()
    return conv


class SubPixelUpsample(nn.Sequential):
    """``(N, C, H, W)`` -> ``(N, C_out, rH, rW)``: 3x3 convolution to ``C_out r^2`` channels,
    pixel shuffle, activation (PReLU in SRGAN), ICNR-initialised."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        factor: int = 2,
        activation: str = "prelu",
    ) -> None:
        out_channels = out_channels or in_channels
        conv = nn.Conv2d(in_channels, out_channels * factor * factor, 3, padding=1)
        super().__init__(icnr_(conv, factor), nn.PixelShuffle(factor), activation_layer(activation))
