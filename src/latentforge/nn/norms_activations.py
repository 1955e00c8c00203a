"""Normalisation and activation layers chosen by name (registries, not if/elif chains)."""

from __future__ import annotations

from torch import nn

from latentforge.registry import Registry

NORMS: Registry = Registry("normalisation")
NORMS.add("batch", nn.BatchNorm2d)
NORMS.add("instance", lambda channels: nn.InstanceNorm2d(channels, affine=True))
NORMS.add("group", lambda channels: nn.GroupNorm(min(32, channels // 4) or 1, channels))
NORMS.add("none", lambda channels: nn.Identity())

ACTIVATIONS: Registry = Registry("activation")
ACTIVATIONS.add("relu", lambda: nn.ReLU(inplace=True))
ACTIVATIONS.add("leaky_relu", lambda: nn.LeakyReLU(0.2, inplace=True))
ACTIVATIONS.add("prelu", nn.PReLU)  # one learned slope (He et al. 2015), as in SRGAN
ACTIVATIONS.add("silu", lambda: nn.SiLU(inplace=True))
ACTIVATIONS.add("gelu", nn.GELU)
ACTIVATIONS.add("tanh", nn.Tanh)
ACTIVATIONS.add("none", nn.Identity)


def norm_layer(name: str, channels: int) -> nn.Module:
    return NORMS.get(name)(channels)


def activation_layer(name: str) -> nn.Module:
    return ACTIVATIONS.get(name)()
