"""GAN generators and discriminators for images of any size and channel count.

Generators map noise ``(N, z_dim)`` to images ``(N, C, H, W)`` in [-1, 1] (a tanh output);
discriminators map images in [-1, 1] to one raw score per image ``(N,)`` (a logit, or a
critic's unbounded score). The model maps its [0, 1] images to [-1, 1] and back.

- MLP: fully connected layers, as in the original GAN (Goodfellow et al. 2014,
  https://arxiv.org/abs/1406.2661).
- DCGAN (Radford et al. 2015, https://arxiv.org/abs/1511.06434): no pooling (stride-2
  convolutions in the discriminator, stride-2 transposed convolutions in the generator),
  batch norm in both except the generator output and the discriminator input, ReLU in the
  generator with tanh at the output, LeakyReLU(0.2) in the discriminator, no hidden fully
  connected layers, weights drawn from N(0, 0.02) (:func:`dcgan_init_`).

The convolutional sizes follow ``downsampled_sizes``: each stride-2 layer halves H and W
(rounding up), and the generator retraces that path upwards exactly, so 28 -> 14 -> 7 -> 4
comes back 4 -> 7 -> 14 -> 28, and 64x48 or 32x32 work the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from latentforge.nn.blocks import ConvBlock, downsampled_sizes, halving_padding
from latentforge.nn.norms_activations import activation_layer, norm_layer
from latentforge.nn.upsample import UpBlock

DCGAN_INIT_STD = 0.02


def _mlp(sizes: Sequence[int], activation: str) -> list[nn.Module]:
    """``Linear -> activation`` for each consecutive pair of ``sizes``."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), activation_layer(activation)]
    return layers


class MLPGenerator(nn.Module):
    """Noise ``(N, z_dim)`` -> images ``(N, C, H, W)`` in [-1, 1] through ReLU layers."""

    def __init__(
        self, z_dim: int, image_shape: tuple[int, int, int], hidden: Sequence[int] = (256, 512)
    ) -> None:
        super().__init__()
        self.image_shape = tuple(image_shape)
        sizes = [z_dim, *hidden]
        self.net = nn.Sequential(
            *_mlp(sizes, "relu"), nn.Linear(sizes[-1], math.prod(image_shape)), nn.Tanh()
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.image_shape)  # (N, C*H*W) -> (N, C, H, W)


class MLPDiscriminator(nn.Module):
    """Images ``(N, C, H, W)`` -> scores ``(N,)`` through LeakyReLU(0.2) layers."""

    def __init__(
        self, image_shape: tuple[int, int, int], hidden: Sequence[int] = (512, 256)
    ) -> None:
        super().__init__()
        sizes = [math.prod(image_shape), *hidden]
        self.net = nn.Sequential(*_mlp(sizes, "leaky_relu"), nn.Linear(sizes[-1], 1))

    def forward(self, images: Tensor) -> Tensor:
        return self.net(images.flatten(1)).squeeze(1)  # (N, C*H*W) -> (N, 1) -> (N,)


class DCGANGenerator(nn.Module):
    """Noise ``(N, z_dim)`` -> images ``(N, C, H, W)`` in [-1, 1].

    A linear projection gives a ``(hidden_channels[-1], h, w)`` map at the smallest size
    (batch norm, ReLU), then one stride-2 up-block per remaining entry of
    ``hidden_channels`` (largest first: 128 -> 64 -> 32), and a last up-block to the image
    channels with tanh and no norm. ``kernel_size`` 4 (the DCGAN reference code's, a
    multiple of the stride) avoids the checkerboard that uneven overlaps of a 3x3 kernel
    leave; ``upsample`` may also be ``nearest`` or ``bilinear`` (resize, then a 3x3
    convolution; Odena et al. 2016, https://distill.pub/2016/deconv-checkerboard/).
    """

    def __init__(
        self,
        z_dim: int,
        out_channels: int,
        image_size: tuple[int, int],
        hidden_channels: Sequence[int] = (32, 64, 128),
        upsample: str = "transposed",
        norm: str = "batch",
        kernel_size: int = 4,
    ) -> None:
        super().__init__()
        sizes = downsampled_sizes(tuple(image_size), len(hidden_channels))[::-1]  # small -> big
        channels = list(hidden_channels)[::-1]  # e.g. 128, 64, 32
        self.start_shape = (channels[0], *sizes[0])
        self.project = nn.Linear(z_dim, math.prod(self.start_shape), bias=norm == "none")
        self.start = nn.Sequential(norm_layer(norm, channels[0]), activation_layer("relu"))
        blocks = [
            UpBlock(c_in, c_out, s_in, s_out, upsample, norm, "relu", kernel_size)
            for c_in, c_out, s_in, s_out in zip(channels[:-1], channels[1:], sizes, sizes[1:])
        ]
        blocks.append(
            UpBlock(
                channels[-1],
                out_channels,
                sizes[-2],
                sizes[-1],
                upsample,
                "none",
                "tanh",
                kernel_size,
            )
        )
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z).view(z.shape[0], *self.start_shape)  # (N, C0*h*w) -> (N, C0, h, w)
        return self.blocks(self.start(x))


class DCGANDiscriminator(nn.Module):
    """Images ``(N, C, H, W)`` in [-1, 1] -> scores ``(N,)``.

    One stride-2 convolution (``kernel_size`` 3 or 4; padding so that each halves H and W,
    rounding up) per entry of ``hidden_channels`` (smallest first), each
    followed by batch norm (not after the first) and LeakyReLU(0.2); the last feature map is
    flattened into a single linear score. For a Wasserstein critic with gradient penalty use
    ``norm="none"`` (or ``"instance"``): batch norm makes each score depend on the whole batch,
    which the per-sample penalty does not allow for (Gulrajani et al. 2017, section 4).
    """

    def __init__(
        self,
        in_channels: int,
        image_size: tuple[int, int],
        hidden_channels: Sequence[int] = (32, 64, 128),
        norm: str = "batch",
        kernel_size: int = 4,
    ) -> None:
        super().__init__()
        channels = [in_channels, *hidden_channels]
        norms = ["none"] + [norm] * (len(hidden_channels) - 1)
        sizes = downsampled_sizes(tuple(image_size), len(hidden_channels))
        self.features = nn.Sequential(
            *[
                ConvBlock(
                    c_in,
                    c_out,
                    kernel_size,
                    stride=2,
                    padding=tuple(halving_padding(s, kernel_size) for s in size),
                    norm=layer_norm,
                    activation="leaky_relu",
                )
                for c_in, c_out, layer_norm, size in zip(channels[:-1], channels[1:], norms, sizes)
            ]
        )
        h, w = sizes[-1]
        self.head = nn.Linear(channels[-1] * h * w, 1)

    def forward(self, images: Tensor) -> Tensor:
        features = self.features(images)  # (N, C_last, h, w)
        return self.head(features.flatten(1)).squeeze(1)  # (N, C_last*h*w) -> (N,)


@torch.no_grad()
def dcgan_init_(
    module: nn.Module, std: float = DCGAN_INIT_STD, generator: torch.Generator | None = None
) -> nn.Module:
    """DCGAN initialisation in place: convolution and linear weights from N(0, std^2), their
    biases 0; batch-norm scales from N(1, std^2), shifts 0 (Radford et al. 2015, section 4)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(layer.weight, 0.0, std, generator=generator)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.normal_(layer.weight, 1.0, std, generator=generator)
            nn.init.zeros_(layer.bias)
    return module
