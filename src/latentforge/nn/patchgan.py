"""The PatchGAN discriminator: a fully convolutional net that scores every overlapping patch of
its input as real or fake, so it penalises structure at the scale of its patches and leaves
the large scale to an L1 or cycle loss (Isola et al. 2017, https://arxiv.org/abs/1611.07004,
section 2.2.2 and appendix 6.1.2; also CycleGAN's discriminators).

With ``channels = (c_1, ..., c_n)``, all convolutions 4x4 with padding 1:

    c_1 .. c_{n-1}:  stride 2, norm (not on the first), LeakyReLU(0.2)
    c_n:             stride 1, norm, LeakyReLU(0.2)
    score:           stride 1 to one channel: a raw score per patch, (N, 1, h, w)

Each stride-2 layer maps a size s to floor(s / 2), each stride-1 layer to s - 1. The patch
one score sees (its receptive field) is, for layers of kernel k_l and stride t_l,

    r = 1 + sum_l (k_l - 1) prod_{m < l} t_m,

so ``(64, 128, 256, 512)`` is the paper's 70x70 PatchGAN, ``(64, 128)`` its 16x16 one, and
``(64,)`` a 7x7 one (:func:`patchgan_receptive_field`). The adversarial losses average over
all patch scores.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from latentforge.errors import ConfigError, ShapeError
from latentforge.nn.blocks import ConvBlock

KERNEL = 4
PADDING = 1


def _strides(depth: int) -> list[int]:
    """Strides of the layers of a PatchGAN with ``depth`` channel entries, score layer last."""
    return [2] * (depth - 1) + [1, 1]


def patchgan_receptive_field(depth: int) -> int:
    """Side of the square input patch that one score of a ``depth``-layer PatchGAN sees."""
    field, jump = 1, 1
    for stride in _strides(depth):
        field += (KERNEL - 1) * jump
        jump *= stride
    return field


def patchgan_output_size(size: int, depth: int) -> int:
    """Scores along one side for an input side of ``size``: floor((s + 2p - k) / t) + 1 per
    layer."""
    for stride in _strides(depth):
        size = (size + 2 * PADDING - KERNEL) // stride + 1
    return size


class PatchGAN(nn.Module):
    """Images ``(N, in_channels, H, W)`` in [-1, 1] -> patch scores ``(N, 1, h, w)``.

    For a conditional discriminator (pix2pix) ``in_channels`` counts the source and the
    target image stacked along the channels.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        channels: Sequence[int] = (64, 128, 256, 512),
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if len(channels) < 1 or min(channels) < 1:
            raise ConfigError(f"PatchGAN channels must be positive ints, got {tuple(channels)}")
        depth = len(channels)
        out = tuple(patchgan_output_size(s, depth) for s in image_size)
        if min(out) < 1:
            raise ShapeError(
                f"a PatchGAN with {depth} layers (channels {tuple(channels)}) leaves no patch "
                f"of a {image_size[0]}x{image_size[1]} image to score; give fewer discriminator "
                "channels (e.g. --d-channels 64,128) or larger images"
            )
        self.output_size = out
        self.receptive_field = patchgan_receptive_field(depth)
        widths = [in_channels, *channels]
        strides = _strides(depth)
        self.features = nn.Sequential(
            *[
                ConvBlock(
                    widths[i],
                    widths[i + 1],
                    KERNEL,
                    stride=strides[i],
                    padding=PADDING,
                    norm="none" if i == 0 else norm,
                    activation="leaky_relu",
                )
                for i in range(depth)
            ]
        )
        self.score = nn.Conv2d(widths[-1], 1, KERNEL, stride=1, padding=PADDING)

    def forward(self, images: Tensor) -> Tensor:
        return self.score(self.features(images))  # (N, 1, h, w)
