"""Networks for inpainting after Iizuka, Simo-Serra and Ishikawa 2017, "Globally and Locally
Consistent Image Completion" (https://doi.org/10.1145/3072959.3073659).

:class:`InpaintingNet` (the completion network): the masked image and the mask, concatenated
``(N, C + 1, H, W)``, go through a convolutional encoder that halves the size twice, dilated
residual blocks (dilations 2, 4, 8 by default) that let every position see across the hole
without losing resolution, and a decoder that retraces the sizes exactly (nearest-neighbour
upsampling and a 3x3 convolution, no checkerboard), ending in tanh: ``(N, C, H, W)`` in [-1, 1].

:class:`GlobalLocalDiscriminator`: a global network that sees the whole image and a local one
that sees a window around the hole (:func:`~latentforge.data.masks.hole_windows`). The paper
concatenates the two networks' last feature vectors and applies one fully connected layer; a
linear layer on a concatenation equals the sum of two linear layers on the parts,
``W [a; b] + c = W_a a + W_b b + c``, so here each network ends in its own linear head and
the score is the sum of the two (a raw logit).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from latentforge.data.masks import crop_windows, hole_windows
from latentforge.nn.blocks import ConvBlock, downsampled_sizes, halving_padding
from latentforge.nn.gan_nets import DCGANDiscriminator
from latentforge.nn.residual import ResidualStack
from latentforge.nn.upsample import UpBlock


class InpaintingNet(nn.Module):
    """``(N, C + 1, H, W)`` (masked image in [-1, 1], mask) -> ``(N, C, H, W)`` in [-1, 1].

    ``widths`` lists the encoder's channels from the image side: a 5x5 convolution to
    ``widths[0]``, then one stride-2 3x3 convolution per further entry.
    """

    def __init__(
        self,
        channels: int,
        image_size: tuple[int, int],
        widths: Sequence[int] = (32, 64, 128),
        dilations: Sequence[int] = (2, 4, 8),
        norm: str = "batch",
    ) -> None:
        super().__init__()
        widths = list(widths)
        sizes = downsampled_sizes(tuple(image_size), len(widths) - 1)
        down = [ConvBlock(channels + 1, widths[0], 5, norm=norm, activation="relu")]
        for c_in, c_out, size in zip(widths[:-1], widths[1:], sizes):
            padding = tuple(halving_padding(s, 3) for s in size)
            down.append(ConvBlock(c_in, c_out, 3, 2, padding, norm, "relu"))
        self.encoder = nn.Sequential(*down)
        self.middle = ResidualStack(widths[-1], tuple(dilations), norm, "relu")
        up = [
            UpBlock(c_in, c_out, s_in, s_out, "nearest", norm, "relu")
            for c_in, c_out, s_in, s_out in zip(
                widths[::-1], widths[-2::-1], sizes[::-1], sizes[-2::-1]
            )
        ]
        self.decoder = nn.Sequential(*up, nn.Conv2d(widths[0], channels, 3, padding=1), nn.Tanh())

    def forward(self, inputs: Tensor) -> Tensor:
        return self.decoder(self.middle(self.encoder(inputs)))


class GlobalLocalDiscriminator(nn.Module):
    """Score ``(N,)`` of images ``(N, C, H, W)`` in [-1, 1] given their masks ``(N, 1, H, W)``:
    ``global(images) + local(window of images around the hole)``; both networks are DCGAN
    discriminators (stride-2 convolutions, LeakyReLU(0.2), a linear head)."""

    def __init__(
        self,
        channels: int,
        image_size: tuple[int, int],
        local_size: tuple[int, int],
        widths: Sequence[int] = (64, 128, 256, 512),
        norm: str = "batch",
        local_widths: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        self.local_size = tuple(local_size)
        self.global_net = DCGANDiscriminator(channels, tuple(image_size), widths, norm, 4)
        local_widths = local_widths or list(widths)[:-1] or list(widths)
        self.local_net = DCGANDiscriminator(channels, self.local_size, local_widths, norm, 4)

    def local_windows(self, images: Tensor, masks: Tensor) -> Tensor:
        """The ``local_size`` window of each image around its hole."""
        tops, lefts = hole_windows(masks, self.local_size)
        return crop_windows(images, tops, lefts, self.local_size)

    def forward(self, images: Tensor, masks: Tensor) -> Tensor:
        return self.global_net(images) + self.local_net(self.local_windows(images, masks))
