"""The U-Net: an encoder-decoder whose decoder also sees the encoder's feature map of the same
size (Ronneberger et al. 2015, https://arxiv.org/abs/1505.04597), in the form pix2pix uses
as its generator (Isola et al. 2017, https://arxiv.org/abs/1611.07004, appendix 6.1.1).

With ``channels = (c_1, ..., c_k)`` and sizes ``s_0 = image, s_i = ceil(s_{i-1} / 2)``:

    down_i:  (c_{i-1}, s_{i-1}) -> (c_i, s_i)   4x4 stride-2 conv -> norm -> LeakyReLU(0.2)
             (c_0 = input channels; no norm on down_1, which sees the image, nor on the
             innermost down_k, whose map may be 1x1)
    up_k:    (c_k, s_k) -> (c_{k-1}, s_{k-1})              upsample -> norm -> ReLU
    up_i:    (2 c_i, s_i) -> (c_{i-1}, s_{i-1})  for i < k, the input being [up_{i+1}, down_i]
             concatenated along the channels (the skip connection)
    up_1:    (2 c_1, s_1) -> (out channels, s_0), tanh, no norm

Dropout (0.5 in the paper) follows the first ``dropout_layers`` up-blocks; it is active in
training mode only. Each up-block retraces the encoder's path exactly (``Upsample`` is told
its target size), so any image size works without padding: 28 -> 14 -> 7 -> 4 -> 2 comes back
2 -> 4 -> 7 -> 14 -> 28. The paper's 256x256 generator is ``channels = (64, 128, 256, 512,
512, 512, 512, 512)``; the default here, four levels, suits 28x28 to 64x64 images.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.nn.blocks import ConvBlock, downsampled_sizes, halving_padding
from latentforge.nn.upsample import UpBlock


class UNet(nn.Module):
    """Images ``(N, in_channels, H, W)`` -> images ``(N, out_channels, H, W)`` in [-1, 1]."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: tuple[int, int],
        channels: Sequence[int] = (64, 128, 256, 256),
        norm: str = "batch",
        dropout: float = 0.5,
        dropout_layers: int = 3,
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        if len(channels) < 1 or min(channels) < 1:
            raise ConfigError(f"U-Net channels must be positive ints, got {tuple(channels)}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"U-Net dropout must be in [0, 1), got {dropout}")
        depth = len(channels)
        sizes = downsampled_sizes(tuple(image_size), depth)  # s_0 .. s_k
        widths = [in_channels, *channels]  # c_0 .. c_k
        self.downs = nn.ModuleList(
            ConvBlock(
                widths[i],
                widths[i + 1],
                4,
                stride=2,
                padding=tuple(halving_padding(s, 4) for s in sizes[i]),
                norm="none" if i in (0, depth - 1) else norm,
                activation="leaky_relu",
            )
            for i in range(depth)
        )
        ups = []
        for i in range(depth, 0, -1):  # up_k .. up_1
            c_in = widths[i] if i == depth else 2 * widths[i]
            last = i == 1
            block = UpBlock(
                c_in,
                out_channels if last else widths[i - 1],
                sizes[i],
                sizes[i - 1],
                upsample,
                "none" if last else norm,
                "tanh" if last else "relu",
                kernel_size=4,
            )
            drop = not last and len(ups) < dropout_layers and dropout > 0
            ups.append(nn.Sequential(block, nn.Dropout(dropout)) if drop else block)
        self.ups = nn.ModuleList(ups)

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)  # down_1 .. down_k outputs
        x = self.ups[0](skips.pop())  # up_k on the innermost map
        for up in self.ups[1:]:
            x = up(torch.cat([x, skips.pop()], dim=1))  # (N, 2 c_i, s_i) -> (N, c_{i-1}, ...)
        return x
