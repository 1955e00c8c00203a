"""The ResNet image-to-image generator of CycleGAN (Zhu et al. 2017,
https://arxiv.org/abs/1703.10593, appendix 7.2; after Johnson et al. 2016,
https://arxiv.org/abs/1603.08155).

With ``channels = (c_0, c_1, ..., c_k)`` (the paper: ``(64, 128, 256)``, so k = 2):

    stem:       7x7 conv (reflection padding) to c_0 -> norm -> ReLU        (c7s1-64)
    down_i:     3x3 stride-2 conv c_{i-1} -> c_i -> norm -> ReLU            (d128, d256)
    blocks:     ``residual_blocks`` residual blocks at c_k                   (R256 x 6 or 9)
    up_i:       stride-2 upsampling c_i -> c_{i-1} -> norm -> ReLU           (u128, u64)
    head:       7x7 conv (reflection padding) to the output channels, tanh  (c7s1-3)

Each up-block retraces the downsampling path exactly (28 -> 14 -> 7 comes back 7 -> 14 -> 28),
so any image size works. Input and output are in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.nn.blocks import ConvBlock, downsampled_sizes
from latentforge.nn.residual import ResidualBlock
from latentforge.nn.upsample import UpBlock


class ResnetGenerator(nn.Module):
    """Images ``(N, in_channels, H, W)`` -> images ``(N, out_channels, H, W)`` in [-1, 1]."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: tuple[int, int],
        channels: Sequence[int] = (64, 128, 256),
        residual_blocks: int = 6,
        norm: str = "instance",
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        if len(channels) < 1 or min(channels) < 1:
            raise ConfigError(f"generator channels must be positive ints, got {tuple(channels)}")
        if residual_blocks < 0:
            raise ConfigError(f"residual_blocks must be >= 0, got {residual_blocks}")
        widths = list(channels)
        sizes = downsampled_sizes(tuple(image_size), len(widths) - 1)  # s_0 .. s_k
        self.stem = ConvBlock(
            in_channels, widths[0], 7, norm=norm, activation="relu", padding_mode="reflect"
        )
        self.downs = nn.Sequential(
            *[
                ConvBlock(c_in, c_out, 3, stride=2, padding=1, norm=norm, activation="relu")
                for c_in, c_out in zip(widths[:-1], widths[1:])
            ]
        )
        self.blocks = nn.Sequential(
            *[
                ResidualBlock(widths[-1], norm, "relu", padding_mode="reflect")
                for _ in range(residual_blocks)
            ]
        )
        self.ups = nn.Sequential(
            *[
                UpBlock(widths[i], widths[i - 1], sizes[i], sizes[i - 1], upsample, norm, "relu")
                for i in range(len(widths) - 1, 0, -1)
            ]
        )
        self.head = ConvBlock(
            widths[0], out_channels, 7, norm="none", activation="tanh", padding_mode="reflect"
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.ups(self.blocks(self.downs(self.stem(x)))))
