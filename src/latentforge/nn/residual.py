"""Residual blocks (He et al. 2016, https://arxiv.org/abs/1512.03385):

    y = x + norm(conv(act(norm(conv(x)))))

two 3x3 convolutions that keep the channel count and the size, an activation between them and
none after the sum. The same block serves

- the CycleGAN generator (Johnson et al. 2016, https://arxiv.org/abs/1603.08155): instance
  norm, ReLU and ``padding_mode="reflect"``, which pads by mirroring the border instead of
  zeros and so avoids dark seams at the image edges;
- the SRGAN generator (Ledig et al. 2017, https://arxiv.org/abs/1609.04802, figure 4): batch
  norm and PReLU, in a :class:`ResidualStack` that ends in one more convolution and a skip over
  the whole stack, so the stack learns a correction to its input;
- the inpainting generator (Iizuka et al. 2017): dilated blocks (Yu & Koltun 2016,
  https://arxiv.org/abs/1511.07122) see ``dilation`` times further with the same weights, to
  reach across a hole.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from latentforge.nn.norms_activations import activation_layer, norm_layer


def _conv(channels: int, dilation: int, norm: str, padding_mode: str) -> nn.Conv2d:
    """A size-keeping 3x3 convolution (padding = dilation); no bias when a norm follows."""
    return nn.Conv2d(
        channels,
        channels,
        3,
        padding=dilation,
        dilation=dilation,
        bias=norm == "none",
        padding_mode=padding_mode,
    )


class ResidualBlock(nn.Module):
    """``x + norm(conv(act(norm(conv(x)))))``; shape ``(N, C, H, W)`` in and out.

    ``body`` is ``[conv, norm, activation, conv, norm]``.
    """

    def __init__(
        self,
        channels: int,
        norm: str = "batch",
        activation: str = "prelu",
        dilation: int = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, dilation, norm, padding_mode),
            norm_layer(norm, channels),
            activation_layer(activation),
            _conv(channels, dilation, norm, padding_mode),
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
            _conv(channels, 1, norm, "zeros"),
            norm_layer(norm, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.blocks(x)
