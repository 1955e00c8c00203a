"""Residual blocks (He et al. 2016, https://arxiv.org/abs/1512.03385) as in the SRGAN
generator (Ledig et al. 2017, https://arxiv.org/abs/1609.04802, figure 4):

    y = x + norm(conv(act(norm(conv(x)))))

two 3x3 convolutions that keep the channel count and the size, an activation between them and
none after the sum. A stack of them ends in one more convolution and a skip over the whole
stack (:class:`ResidualStack`), so the stack learns a correction to its input. Dilated blocks
(Yu & Koltun 2016, https://arxiv.org/abs/1511.07122) see ``dilation`` times further with the
same weights: the inpainting generator of Iizuka et al. 2017 uses them to reach across a hole.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from latentforge.nn.layers import activation_layer, norm_layer


def _conv(channels: int, dilation: int, norm: str) -> nn.Conv2d:
    """A size-keeping 3x3 convolution (padding = dilation); no bias when a norm follows."""
    return nn.Conv2d(
        channels, channels, 3, padding=dilation, dilation=dilation, bias=norm == "none"
    )


class ResidualBlock(nn.Module):
    """``x + norm(conv(act(norm(conv(x)))))``; shape ``(N, C, H, W)`` in and out."""

    def __init__(
        self, channels: int, norm: str = "batch", activation: str = "prelu", dilation: int = 1
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, dilation, norm),
            norm_layer(norm, channels),
            activation_layer(activation),
            _conv(channels, dilation, norm),
            norm_layer(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResidualStack(nn.Module):
    """``x + norm(conv(blocks(x)))``: one residual block per entry of ``dilations`` (all 1 in
    SRGAN, 16 of them), a 3x3 convolution and a skip over the whole stack."""

    def __init__(
        self,
        channels: int,
        dilations: Sequence[int] = (1,) * 16,
        norm: str = "batch",
        activation: str = "prelu",
    ) -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            *[ResidualBlock(channels, norm, activation, d) for d in dilations],
            _conv(channels, 1, norm),
            norm_layer(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.blocks(x)
