"""Wasserstein GAN presets on the DCGAN networks: configs that change defaults, nothing else.

- ``wgan`` (Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875): the critic's weights
  clipped to [-0.01, 0.01], RMSprop with lr 5e-5, 5 critic steps per generator step.
  ``--d-warmup-cycles 25`` adds the reference code's 100 critic steps for each of the first
  25 generator steps (``--d-warmup-steps``).
- ``wgan-gp`` (Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028): the gradient
  penalty with lambda = 10 instead of clipping, Adam with lr 1e-4 and betas (0, 0.9),
  5 critic steps, and no batch norm in the critic (the penalty is per sample).

Every default can be overridden on the command line, e.g. ``--clip 0.02`` or ``--d-steps 3``.
"""

from __future__ import annotations

import dataclasses

from latentforge.models.base import MODELS
from latentforge.models.dcgan import DCGAN, DCGANConfig


@dataclasses.dataclass
class WGANConfig(DCGANConfig):
    loss: str = "wasserstein"
    clip: float | None = 0.01
    optimizer: str = "rmsprop"
    lr_d: float = 5e-5
    lr_g: float = 5e-5
    d_steps: int = 5


@dataclasses.dataclass
class WGANGPConfig(DCGANConfig):
    loss: str = "wasserstein-gp"
    gp_weight: float = 10.0
    lr_d: float = 1e-4
    lr_g: float = 1e-4
    beta1: float = 0.0
    beta2: float = 0.9
    d_steps: int = 5
    d_norm: str = "none"


@MODELS.register("wgan")
class WGAN(DCGAN):
    """Wasserstein GAN with weight clipping (Arjovsky et al. 2017), DCGAN networks."""

    config_class = WGANConfig


@MODELS.register("wgan-gp")
class WGANGP(DCGAN):
    """Wasserstein GAN with gradient penalty (Gulrajani et al. 2017), DCGAN networks."""

    config_class = WGANGPConfig
