"""Convolutional encoders and decoders for images of any size and channel count."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from latentforge.errors import ShapeError
from latentforge.nn.blocks import ConvBlock, downsampled_sizes
from latentforge.nn.norms_activations import activation_layer
from latentforge.nn.upsample import UpBlock


class ConvEncoder(nn.Module):
    """Image ``(N, C, H, W)`` -> vector ``(N, out_features)``.

    One stride-2 3x3 convolution per entry of ``hidden_channels`` (each halves H and W,
    rounding up), then a linear layer on the flattened feature map.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        out_features: int,
        hidden_channels: Sequence[int] = (32, 64, 128),
        norm: str = "none",
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        channels = [in_channels, *hidden_channels]
        self.sizes = downsampled_sizes(tuple(image_size), len(hidden_channels))
        self.features = nn.Sequential(
            *[
                ConvBlock(c_in, c_out, 3, stride=2, norm=norm, activation=activation)
                for c_in, c_out in zip(channels[:-1], channels[1:])
            ]
        )
        h, w = self.sizes[-1]
        self.head = nn.Linear(channels[-1] * h * w, out_features)

    def forward(self, x: Tensor) -> Tensor:
        features = self.features(x)  # (N, C_last, h, w)
        return self.head(features.flatten(1))  # (N, C_last * h * w) -> (N, out_features)


class ConvDecoder(nn.Module):
    """Vector ``(N, in_features)`` -> image logits ``(N, C, H, W)``: the mirror of ConvEncoder.

    A linear layer makes a ``(hidden_channels[-1], h, w)`` map; each up-block doubles the
    size back along the encoder's path (``upsample``: transposed, nearest or bilinear); a
    last 3x3 convolution gives ``out_channels`` logits. The model maps logits to [0, 1].
    """

    def __init__(
        self,
        in_features: int,
        out_channels: int,
        image_size: tuple[int, int],
        hidden_channels: Sequence[int] = (32, 64, 128),
        upsample: str = "transposed",
        norm: str = "none",
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        sizes = downsampled_sizes(tuple(image_size), len(hidden_channels))[::-1]  # small -> big
        channels = list(hidden_channels)[::-1]  # 128, 64, 32
        h, w = sizes[0]
        self.start_shape = (channels[0], h, w)
        self.project = nn.Sequential(
            nn.Linear(in_features, channels[0] * h * w), activation_layer(activation)
        )
        outs = [*channels[1:], channels[-1]]
        self.blocks = nn.Sequential(
            *[
                UpBlock(c_in, c_out, s_in, s_out, upsample, norm, activation)
                for c_in, c_out, s_in, s_out in zip(channels, outs, sizes[:-1], sizes[1:])
            ]
        )
        self.to_image = nn.Conv2d(outs[-1], out_channels, 3, padding=1)

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z).view(z.shape[0], *self.start_shape)  # (N, C0 * h * w) -> (N, C0, h, w)
        return self.to_image(self.blocks(x))


@torch.no_grad()
def probe_output_shape(module: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Run ``module`` on zeros of ``(2, *input_shape)`` and return the output shape sans batch."""
    was_training = module.training
    module.eval()
    try:
        param = next(module.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        out = module(torch.zeros(2, *input_shape, device=device))
    finally:
        module.train(was_training)
    return tuple(out.shape[1:])


def expect_output_shape(
    module: nn.Module,
    name: str,
    input_shape: tuple[int, ...],
    expected: tuple[int, ...] | None = None,
) -> tuple[int, ...]:
    """``module``'s output shape (sans batch) on ``(N, *input_shape)``; a :class:`ShapeError`
    naming ``name`` when it fails or (if ``expected`` is given) gives another shape."""
    shown = ", ".join(map(str, input_shape))
    try:
        got = probe_output_shape(module, input_shape)
    except Exception as err:  # noqa: BLE001 - any failure of a user module is a shape problem
        raise ShapeError(f"the {name} fails on input of shape (N, {shown}): {err}") from None
    if expected is not None and got != expected:
        raise ShapeError(
            f"the {name} maps (N, {shown}) to (N, {', '.join(map(str, got))}); "
            f"it must give (N, {', '.join(map(str, expected))})"
        )
    return got
