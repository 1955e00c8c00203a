"""The options of a restoration GAN (``srgan``, ``inpainting``): the adversarial game, the
discriminator and the content-only pretraining; see :mod:`latentforge.models.restoration`."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from latentforge.config import require
from latentforge.models.adversarial_game import check_game_options
from latentforge.models.base import ModelConfig
from latentforge.nn.norms_activations import NORMS


@dataclasses.dataclass
class RestorationConfig(ModelConfig):
    """The game of a restoration GAN. Defaults follow SRGAN: Adam, lr 1e-4, beta1 0.9."""

    adversarial_weight: float = 1e-3
    pretrain_steps: int = 0
    loss: str = "non-saturating"
    d_steps: int = 1
    g_steps: int = 1
    optimizer: str = "adam"
    lr_d: float = 1e-4
    lr_g: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.999
    clip: float | None = None
    gp_weight: float = 10.0
    d_channels: tuple[int, ...] = (64, 128, 256, 512)
    d_norm: str = "batch"
    examples: int = 64
    health_checks: bool = True

    option_help: ClassVar[dict[str, str]] = {
        "adversarial_weight": "weight of the adversarial term in the generator loss (0: content "
        "loss only, no discriminator)",
        "pretrain_steps": "first train the generator on the content loss alone for this many steps",
        "loss": "minimax, non-saturating, wasserstein, wasserstein-gp, hinge or least-squares",
        "d_steps": "discriminator steps per cycle",
        "g_steps": "generator steps per cycle (on the discriminator's last batch)",
        "optimizer": "adam, adamw, rmsprop or sgd, for both networks",
        "lr_d": "discriminator learning rate (the training --lr is not used)",
        "lr_g": "generator learning rate",
        "beta1": "Adam beta1",
        "beta2": "Adam beta2",
        "clip": "clamp the discriminator's weights to [-clip, clip] after each step",
        "gp_weight": "gradient penalty weight lambda (losses that need one)",
        "d_channels": "discriminator channels per stride-2 convolution, from the image side",
        "d_norm": "discriminator normalisation: batch, instance, group or none",
        "examples": "how many example images the model keeps for sample()",
        "health_checks": "warn about vanishing gradients, imbalance, divergence",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        check_game_options(self)
        require(
            self.adversarial_weight >= 0,
            f"--adversarial-weight must be >= 0, got {self.adversarial_weight}",
        )
        require(
            self.pretrain_steps >= 0, f"--pretrain-steps must be >= 0, got {self.pretrain_steps}"
        )
        require(
            len(self.d_channels) >= 1 and min(self.d_channels) >= 1,
            f"--d-channels must be positive ints, got {self.d_channels}",
        )
        require(
            self.d_norm in NORMS, f"--d-norm must be one of {', '.join(NORMS)}, got {self.d_norm!r}"
        )
        require(self.examples >= 1, f"--examples must be >= 1, got {self.examples}")
