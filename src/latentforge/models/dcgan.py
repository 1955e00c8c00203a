"""``dcgan``: deep convolutional GAN (Radford et al. 2015, https://arxiv.org/abs/1511.06434)
for images of any size and channel count; the networks are in ``latentforge.nn.gan_nets``.

    latentforge train dcgan --data fashion-mnist --epochs 10

Defaults: Adam with lr 2e-4 and beta1 = 0.5 for both networks, the non-saturating loss,
weights from N(0, 0.02), channels (64, 128, 256) (28x28 -> 14 -> 7 -> 4 in the discriminator,
back up in the generator).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from torch import nn

from latentforge.config import require
from latentforge.models.adversarial import AdversarialConfig, AdversarialModel
from latentforge.models.base import MODELS
from latentforge.nn.gan_nets import DCGANDiscriminator, DCGANGenerator, dcgan_init_
from latentforge.nn.norms_activations import NORMS
from latentforge.nn.upsample import UPSAMPLE_MODES


@dataclasses.dataclass
class DCGANConfig(AdversarialConfig):
    """Convolutional generator and discriminator; channels listed from the image side."""

    g_channels: tuple[int, ...] = (64, 128, 256)
    d_channels: tuple[int, ...] = (64, 128, 256)
    upsample: str = "transposed"
    kernel_size: int = 4
    g_norm: str = "batch"
    d_norm: str = "batch"

    option_help: ClassVar[dict[str, str]] = {
        **AdversarialConfig.option_help,
        "g_channels": "generator channels from the image side (the first layer has the last)",
        "d_channels": "discriminator channels per stride-2 convolution, from the image side",
        "upsample": "transposed, nearest or bilinear upsampling in the generator",
        "kernel_size": "kernel of the stride-2 (transposed) convolutions: 4 as in DCGAN, or 3",
        "g_norm": "generator normalisation: batch, instance, group or none",
        "d_norm": "discriminator normalisation (not on its first layer)",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag, widths in (("--g-channels", self.g_channels), ("--d-channels", self.d_channels)):
            require(
                len(widths) >= 1 and min(widths) >= 1,
                f"{flag} must be positive ints, got {widths}",
            )
        require(
            self.upsample in UPSAMPLE_MODES,
            f"--upsample must be one of {', '.join(UPSAMPLE_MODES)}, got {self.upsample!r}",
        )
        require(self.kernel_size >= 2, f"--kernel-size must be >= 2, got {self.kernel_size}")
        for flag, norm in (("--g-norm", self.g_norm), ("--d-norm", self.d_norm)):
            require(norm in NORMS, f"{flag} must be one of {', '.join(NORMS)}, got {norm!r}")


@MODELS.register("dcgan")
class DCGAN(AdversarialModel):
    """Deep convolutional GAN (Radford et al. 2015)."""

    config_class = DCGANConfig
    config: DCGANConfig

    def build_generator(self) -> nn.Module:
        c = self.config
        net = DCGANGenerator(
            c.z_dim, c.in_channels, c.image_size, c.g_channels, c.upsample, c.g_norm, c.kernel_size
        )
        return dcgan_init_(net)

    def build_discriminator(self) -> nn.Module:
        c = self.config
        net = DCGANDiscriminator(c.in_channels, c.image_size, c.d_channels, c.d_norm, c.kernel_size)
        return dcgan_init_(net)
