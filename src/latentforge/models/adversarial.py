"""What every GAN shares: the config of the adversarial game and its two training phases.

A cycle of the engine is Algorithm 1 of Goodfellow et al. 2014
(https://arxiv.org/abs/1406.2661): ``d_steps`` discriminator steps, each on a fresh batch
of real images and a fresh batch of noise, then ``g_steps`` generator steps on fresh noise.
The loss comes from :data:`~latentforge.losses.ADVERSARIAL_LOSSES` by name; a Wasserstein
critic gets weight clipping after each step (``clip``; Arjovsky et al. 2017,
https://arxiv.org/abs/1701.07875) or the gradient penalty (``gp_weight``; Gulrajani et al.
2017, https://arxiv.org/abs/1704.00028).

Images are in [0, 1] outside and [-1, 1] inside: the discriminator sees ``2x - 1``, the
generator ends in tanh, and ``decode`` / ``sample`` map back with ``(g + 1) / 2``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.losses import ADVERSARIAL_LOSSES, gradient_penalty, weight_clipping_
from latentforge.metrics.diversity import diversity_ratio
from latentforge.models.adversarial_logs import score_logs
from latentforge.models.base import GenerativeModel, ModelConfig
from latentforge.nn.conv_nets import expect_output_shape
from latentforge.training.health import GANHealthMonitor, HealthThresholds
from latentforge.training.hooks import Monitor
from latentforge.training.phases import OPTIMIZERS, Batch, LossOutput, OptimizerSpec, Phase
from latentforge.utils.seeding import randn

DISCRIMINATOR = "discriminator"
GENERATOR = "generator"


@dataclasses.dataclass
class AdversarialConfig(ModelConfig):
    """The adversarial game. Defaults follow DCGAN (Adam, lr 2e-4, beta1 = 0.5)."""

    z_dim: int = 100
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
        "z_dim": "size of the noise vector the generator starts from",
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
        require(self.z_dim >= 1, f"--z-dim must be >= 1, got {self.z_dim}")
        check_game_options(self)
        require(
            self.d_warmup_steps >= 1, f"--d-warmup-steps must be >= 1, got {self.d_warmup_steps}"
        )
        require(
            self.d_warmup_cycles >= 0,
            f"--d-warmup-cycles must be >= 0, got {self.d_warmup_cycles}",
        )


def check_game_options(c: Any) -> None:
    """The checks every adversarial config shares (fields ``loss``, ``d_steps``, ``g_steps``,
    ``optimizer``, ``lr_d``, ``lr_g``, ``beta1``, ``beta2``, ``clip`` and ``gp_weight``), each
    failing with a :class:`~latentforge.errors.ConfigError` that names the option."""
    require(
        c.loss in ADVERSARIAL_LOSSES,
        f"--loss must be one of {', '.join(ADVERSARIAL_LOSSES.names())}, got {c.loss!r}",
    )
    for flag, value in (("--d-steps", c.d_steps), ("--g-steps", c.g_steps)):
        require(value >= 1, f"{flag} must be >= 1, got {value}")
    require(
        c.optimizer in OPTIMIZERS,
        f"--optimizer must be one of {', '.join(OPTIMIZERS.names())}, got {c.optimizer!r}",
    )
    for flag, value in (("--lr-d", c.lr_d), ("--lr-g", c.lr_g)):
        require(value > 0, f"{flag} must be positive, got {value}")
    for flag, value in (("--beta1", c.beta1), ("--beta2", c.beta2)):
        require(0.0 <= value < 1.0, f"{flag} must be in [0, 1), got {value}")
    require(c.clip is None or c.clip > 0, f"--clip must be positive, got {c.clip}")
    require(
        c.clip is not None or not ADVERSARIAL_LOSSES.get(c.loss).needs_weight_clipping,
        f"--loss {c.loss} keeps its critic Lipschitz by weight clipping: give --clip "
        "(0.01 in the WGAN paper), or use --loss wasserstein-gp",
    )
    require(c.gp_weight >= 0, f"--gp-weight must be >= 0, got {c.gp_weight}")


@dataclasses.dataclass(frozen=True)
class DiscriminatorSchedule:
    """Discriminator steps in cycle ``c`` (0-based): ``warmup_steps`` while ``c <
    warmup_cycles``, then ``steps``. The WGAN reference code trains the critic 100 times per
    generator step for the first 25 generator steps, to start from a near-optimal critic."""

    steps: int
    warmup_steps: int = 100
    warmup_cycles: int = 0

    def __call__(self, cycle: int) -> int:
        return self.warmup_steps if cycle < self.warmup_cycles else self.steps


class AdversarialModel(GenerativeModel):
    """A generator G: noise -> image and a discriminator D: image -> score, trained in turns.

    Subclasses build the two networks (``build_generator``, ``build_discriminator``); any
    ``nn.Module`` with the right shapes may be passed instead.
    """

    config: AdversarialConfig

    def __init__(
        self,
        config: AdversarialConfig,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
    ) -> None:
        super().__init__(config)
        self.generator = generator or self.build_generator()
        self.discriminator = discriminator or self.build_discriminator()
        self.adversarial_loss = ADVERSARIAL_LOSSES.get(config.loss)
        self._check_networks()
        self._last_d_loss: Tensor | None = None
        # when the health monitor warns; change before training to tune it
        self.health_thresholds = HealthThresholds()

    # --- networks ------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.config.in_channels, *self.config.image_size)

    def build_generator(self) -> nn.Module:
        raise NotImplementedError

    def build_discriminator(self) -> nn.Module:
        raise NotImplementedError

    def _check_networks(self) -> None:
        expect_output_shape(self.generator, "generator", (self.config.z_dim,), self.image_shape)
        expect_output_shape(self.discriminator, "discriminator", self.image_shape)

    # --- the generative interface ----------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        return self.config.z_dim

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Noise ``z ~ N(0, I)`` of shape ``(n, z_dim)``."""
        return randn((n, self.config.z_dim), generator, self.device)

    def decode(self, z: Tensor) -> Tensor:
        """Noise ``(N, z_dim)`` -> images ``(N, C, H, W)`` in [0, 1]: ``(G(z) + 1) / 2``."""
        return (self.generator(z) + 1.0) / 2.0

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.decode(self.sample_latent(n, generator)).clamp_(0.0, 1.0)

    def discriminate(self, images: Tensor) -> Tensor:
        """Raw scores of images in [0, 1] (mapped to [-1, 1] for D)."""
        return self.discriminator(images * 2.0 - 1.0)

    # --- the two phases ------------------------------------------------------------------
    def _judge(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, dict[str, Tensor]]:
        """Real images in [0, 1] and as many fresh fakes (G without gradients) through D:
        ``(real, fake, L_D, score logs)``, the images in [-1, 1]."""
        real = images * 2.0 - 1.0
        with torch.no_grad():
            fake = self.generator(self.sample_latent(real.shape[0]))
        real_scores, fake_scores = self.discriminator(real), self.discriminator(fake)
        loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
        return real, fake, loss, score_logs(self.adversarial_loss, real_scores, fake_scores, loss)

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """L_D on a batch of real images and as many generated ones (G is not trained), plus
        the gradient penalty where the loss needs one."""
        real, fake, loss, logs = self._judge(batch["images"])
        if self.adversarial_loss.needs_gradient_penalty:
            penalty = gradient_penalty(self.discriminator, real, fake, self.config.gp_weight)
            logs["gradient_penalty"] = penalty.detach()
            loss = loss + penalty
        self._last_d_loss = loss.detach()
        return LossOutput(loss, logs)

    def generator_loss(self, batch: Batch) -> LossOutput:
        """L_G on fresh noise; ``batch`` (the last real batch) only sets the batch size and
        is the reference for the diversity of the generated images."""
        real = batch["images"]
        fake = self.generator(self.sample_latent(real.shape[0]))
        loss = self.adversarial_loss.generator_loss(self.discriminator(fake))
        logs: dict[str, Tensor | float] = {"diversity": diversity_ratio(fake, real * 2.0 - 1.0)}
        if self._last_d_loss is not None:
            logs["loss_ratio"] = loss.detach() / self._last_d_loss.abs().clamp_min(1e-8)
        return LossOutput(loss, logs)

    def training_phases(self, train) -> list[Phase]:
        """Discriminator ``d_steps`` times on data, then generator ``g_steps`` times on noise.

        The training ``--lr`` is not used: the phases take ``lr_d`` and ``lr_g``.
        """
        c = self.config

        def spec(lr: float) -> OptimizerSpec:
            return OptimizerSpec(c.optimizer, lr=lr, betas=(c.beta1, c.beta2))

        return [
            Phase(
                DISCRIMINATOR,
                list(self.discriminator.parameters()),
                spec(c.lr_d),
                self.discriminator_loss,
                steps=DiscriminatorSchedule(c.d_steps, c.d_warmup_steps, c.d_warmup_cycles),
                uses_data=True,
                after_step=self.clip_discriminator if c.clip is not None else None,
            ),
            Phase(
                GENERATOR,
                list(self.generator.parameters()),
                spec(c.lr_g),
                self.generator_loss,
                steps=c.g_steps,
                uses_data=False,
                log_grad_norm=True,
            ),
        ]

    def clip_discriminator(self) -> None:
        """Clamp every discriminator weight to [-clip, clip] (WGAN, Arjovsky et al. 2017)."""
        weight_clipping_(self.discriminator, self.config.clip)

    @torch.no_grad()
    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        """Discriminator loss and scores on held-out real images against fresh fakes: a
        discriminator that scores training images far above held-out ones has memorised."""
        _, _, loss, logs = self._judge(batch["images"])
        return {"d_loss": loss, **logs}

    # --- engine hooks --------------------------------------------------------------------
    def monitors(self) -> list[Monitor]:
        if not self.config.health_checks:
            return []
        return [GANHealthMonitor(DISCRIMINATOR, GENERATOR, self.health_thresholds)]

    def ema_module(self) -> nn.Module:
        return self.generator
