"""``gan``: the original GAN with fully connected networks (Goodfellow et al. 2014,
https://arxiv.org/abs/1406.2661), for images of any size and channel count.

    latentforge train gan --data fashion-mnist --loss non-saturating --z-dim 64
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from torch import nn

from latentforge.config import require
from latentforge.models.adversarial import AdversarialConfig, AdversarialModel
from latentforge.models.base import MODELS
from latentforge.nn.gan_nets import MLPDiscriminator, MLPGenerator


@dataclasses.dataclass
class GANConfig(AdversarialConfig):
    """An MLP generator (ReLU, tanh output) and an MLP discriminator (LeakyReLU(0.2))."""

    z_dim: int = 64
    g_hidden: tuple[int, ...] = (256, 512)
    d_hidden: tuple[int, ...] = (512, 256)

    option_help: ClassVar[dict[str, str]] = {
        **AdversarialConfig.option_help,
        "g_hidden": "generator hidden layer widths, from the noise side",
        "d_hidden": "discriminator hidden layer widths, from the image side",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag, widths in (("--g-hidden", self.g_hidden), ("--d-hidden", self.d_hidden)):
            require(
                len(widths) >= 1 and min(widths) >= 1,
                f"{flag} must be positive ints, got {widths}",
            )


@MODELS.register("gan")
class GAN(AdversarialModel):
    """GAN with fully connected generator and discriminator (Goodfellow et al. 2014)."""

    config_class = GANConfig
    config: GANConfig

    def build_generator(self) -> nn.Module:
        return MLPGenerator(self.config.z_dim, self.image_shape, self.config.g_hidden)

    def build_discriminator(self) -> nn.Module:
        return MLPDiscriminator(self.image_shape, self.config.d_hidden)
