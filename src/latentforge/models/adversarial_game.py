"""The adversarial game shared by every GAN-style model: its options and its two phases.

A cycle of the engine is Algorithm 1 of Goodfellow et al. 2014
(https://arxiv.org/abs/1406.2661): ``d_steps`` discriminator steps, each on a fresh batch,
then ``g_steps`` generator steps. The loss comes from
:data:`~latentforge.losses.ADVERSARIAL_LOSSES` by name; a Wasserstein critic gets weight
clipping after each step (``clip``; Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875)
or the gradient penalty (``gp_weight``; Gulrajani et al. 2017,
https://arxiv.org/abs/1704.00028).

What a model plays the game with is its own business: noise -> image (``gan``, ``dcgan``),
image -> image (``pix2pix``, and ``srgan`` and ``inpainting``, which may pretrain their
generator first), or two generators and two discriminators (``cyclegan``). Each
states its losses and builds its phases with :func:`discriminator_phase` and
:func:`generator_phase`, so the optimiser settings and the schedule mean the same everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

from torch import nn

from latentforge.config import require
from latentforge.losses import ADVERSARIAL_LOSSES
from latentforge.models.base import ModelConfig
from latentforge.steps.phases import OPTIMIZERS, Batch, LossOutput, OptimizerSpec, Phase

DISCRIMINATOR = "discriminator"
GENERATOR = "generator"


@dataclasses.dataclass
class AdversarialGameConfig(ModelConfig):
    """The adversarial game. Defaults follow DCGAN (Adam, lr 2e-4, beta1 = 0.5)."""

    loss: str = "non-saturating"
    d_steps: int = 1
    g_steps: int = 1
    d_warmup_steps: int = 100
    d_warmup_cycles: int = 0
    optimizer: str = "adam"
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    clip: float | None = None
    gp_weight: float = 10.0
    health_checks: bool = True

    option_help: ClassVar[dict[str, str]] = {
        "loss": "minimax, non-saturating, wasserstein, wasserstein-gp, hinge or least-squares",
        "d_steps": "discriminator (critic) steps per cycle",
        "g_steps": "generator steps per cycle",
        "d_warmup_steps": "discriminator steps per cycle during the first --d-warmup-cycles",
        "d_warmup_cycles": "cycles that use --d-warmup-steps (WGAN: 100 steps for 25 cycles)",
        "optimizer": "adam, adamw, rmsprop or sgd, for both networks",
        "lr_d": "discriminator learning rate (the training --lr is not used by GANs)",
        "lr_g": "generator learning rate",
        "beta1": "Adam beta1 (momentum of the gradient)",
        "beta2": "Adam beta2",
        "clip": "clamp the discriminator's weights to [-clip, clip] after each step",
        "gp_weight": "gradient penalty weight lambda (losses that need one)",
        "health_checks": "warn about vanishing gradients, mode collapse, imbalance, divergence",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            self.loss in ADVERSARIAL_LOSSES,
            f"--loss must be one of {', '.join(ADVERSARIAL_LOSSES.names())}, got {self.loss!r}",
        )
        for flag, value in (("--d-steps", self.d_steps), ("--g-steps", self.g_steps)):
            require(value >= 1, f"{flag} must be >= 1, got {value}")
        require(
            self.optimizer in OPTIMIZERS,
            f"--optimizer must be one of {', '.join(OPTIMIZERS.names())}, got {self.optimizer!r}",
        )
        for flag, value in (("--lr-d", self.lr_d), ("--lr-g", self.lr_g)):
            require(value > 0, f"{flag} must be positive, got {value}")
        for flag, value in (("--beta1", self.beta1), ("--beta2", self.beta2)):
            require(0.0 <= value < 1.0, f"{flag} must be in [0, 1), got {value}")
        require(self.clip is None or self.clip > 0, f"--clip must be positive, got {self.clip}")
        require(
            self.clip is not None or not ADVERSARIAL_LOSSES.get(self.loss).needs_weight_clipping,
            f"--loss {self.loss} keeps its critic Lipschitz by weight clipping: give --clip "
            "(0.01 in the WGAN paper), or use --loss wasserstein-gp",
        )
        require(self.gp_weight >= 0, f"--gp-weight must be >= 0, got {self.gp_weight}")
        require(
            self.d_warmup_steps >= 1, f"--d-warmup-steps must be >= 1, got {self.d_warmup_steps}"
        )
        require(
            self.d_warmup_cycles >= 0,
            f"--d-warmup-cycles must be >= 0, got {self.d_warmup_cycles}",
        )

    def optimizer_spec(self, lr: float) -> OptimizerSpec:
        """The game's optimiser (``optimizer``, ``beta1``, ``beta2``) at learning rate ``lr``."""
        return OptimizerSpec(self.optimizer, lr=lr, betas=(self.beta1, self.beta2))


@dataclasses.dataclass(frozen=True)
class DiscriminatorSchedule:
    """Discriminator steps in cycle ``c`` (0-based): none before cycle ``start`` (a model that
    pretrains its generator first), then ``warmup_steps`` for ``warmup_cycles`` cycles, then
    ``steps``. The WGAN reference code trains the critic 100 times per generator step for the
    first 25 generator steps, to start from a near-optimal critic."""

    steps: int
    warmup_steps: int = 100
    warmup_cycles: int = 0
    start: int = 0

    def __call__(self, cycle: int) -> int:
        if cycle < self.start:
            return 0
        return self.warmup_steps if cycle - self.start < self.warmup_cycles else self.steps


@dataclasses.dataclass(frozen=True)
class StepsFrom:
    """Steps in cycle ``c``: ``before`` while ``c < start``, then ``steps``."""

    start: int
    steps: int
    before: int = 0

    def __call__(self, cycle: int) -> int:
        return self.before if cycle < self.start else self.steps


def discriminator_phase(
    config: AdversarialGameConfig,
    parameters: list[nn.Parameter],
    loss: Callable[[Batch], LossOutput],
    after_step: Callable[[], None] | None = None,
    start: int = 0,
) -> Phase:
    """``d_steps`` (or the warm-up's) steps per cycle from cycle ``start`` on, each on a fresh
    batch, at ``lr_d``."""
    c = config
    return Phase(
        DISCRIMINATOR,
        parameters,
        c.optimizer_spec(c.lr_d),
        loss,
        steps=DiscriminatorSchedule(c.d_steps, c.d_warmup_steps, c.d_warmup_cycles, start),
        uses_data=True,
        after_step=after_step,
    )


def generator_phase(
    config: AdversarialGameConfig,
    parameters: list[nn.Parameter],
    loss: Callable[[Batch], LossOutput],
    uses_data: bool = False,
    start: int = 0,
) -> Phase:
    """``g_steps`` steps per cycle from cycle ``start`` on, at ``lr_g``, logging the gradient
    norm that reaches the generator. Without ``uses_data`` each step gets the discriminator's
    last batch (a GAN that draws fresh noise uses it only for its size; a translation or
    restoration model trains on it)."""
    return Phase(
        GENERATOR,
        parameters,
        config.optimizer_spec(config.lr_g),
        loss,
        steps=StepsFrom(start, config.g_steps) if start else config.g_steps,
        uses_data=uses_data,
        log_grad_norm=True,
    )
