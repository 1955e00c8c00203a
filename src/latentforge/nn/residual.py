"""Residual blocks: ``x + F(x)`` with F two 3x3 convolutions at a fixed width (He et al. 2016,
https://arxiv.org/abs/1512.03385). The form here is the one of Johnson et al. 2016
(https://arxiv.org/abs/1603.08155) used by CycleGAN's generators: conv -> norm -> activation
-> conv -> norm, no activation after the sum.
"""

from __future__ import annotations

from torch import Tensor, nn

from latentforge.nn.blocks import ConvBlock


class ResidualBlock(nn.Module):
    """``(N, C, H, W) -> (N, C, H, W)``: ``x + norm(conv(act(norm(conv(x)))))``.

    ``padding_mode="reflect"`` (CycleGAN) pads by mirroring the border instead of zeros,
    which avoids dark seams at the image edges.
    """

    def __init__(
        self,
        channels: int,
        norm: str = "instance",
        activation: str = "relu",
        padding_mode: str = "reflect",
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvBlock(channels, channels, 3, norm=norm, activation=activation,
                      padding_mode=padding_mode),
            ConvBlock(channels, channels, 3, norm=norm, activation="none",
                      padding_mode=padding_mode),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)
