"""The adversarial game every GAN-style model plays: its options, its two phases, what a
discriminator step logs, and the noise-to-image GAN built on them.

A cycle of the engine is Algorithm 1 of Goodfellow et al. 2014
(https://arxiv.org/abs/1406.2661): ``d_steps`` discriminator steps, each on a fresh batch,
then ``g_steps`` generator steps. The loss comes from
:data:`~latentforge.losses.ADVERSARIAL_LOSSES` by name; a Wasserstein critic gets weight
clipping after each step (``clip``; Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875)
or the gradient penalty (``gp_weight``; Gulrajani et al. 2017,
https://arxiv.org/abs/1704.00028).

What a model plays the game with is its own business: noise -> image (:class:`AdversarialModel`
here: ``gan``, ``dcgan``, ``wgan``, ``progan``), image -> image (``pix2pix``, and ``srgan`` and
``inpainting``, which may pretrain their generator first), or two generators and two
discriminators (``cyclegan``). Each states its losses and builds its phases with
:func:`discriminator_phase` and :func:`generator_phase`, so the optimiser settings and the
schedule mean the same everywhere.

What a discriminator step logs (:func:`score_logs`), with r, f the raw scores of a batch of
real and of generated images:

- ``d_real``, ``d_fake``: mean D(x) and D(G(z)); probabilities sigmoid(score) for the losses
  that read scores as logits (minimax, non-saturating), raw scores otherwise (a critic);
- ``accuracy``: (share of r above t + share of f below t) / 2, with t the loss's decision
  threshold (0 for logits, 0.5 for least squares), or for a critic, whose scores have no fixed
  origin, the midpoint (mean r + mean f) / 2;
- ``score_scale``: (mean |r| + mean |f|) / 2, the size of the raw scores (exploding critics);
- ``loss_vs_chance``: L_D divided by the loss of a discriminator that gives every image the
  threshold score, i.e. cannot tell at all: 1 at chance, towards 0 as D wins, above 1 as G
  wins. Absent for critics, whose loss has no chance level.

Images are in [0, 1] outside and [-1, 1] inside: the discriminator sees ``2x - 1``, the
generator ends in tanh, and ``decode`` / ``sample`` map back with ``(g + 1) / 2``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.losses import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    gradient_penalty,
    weight_clipping_,
)
from latentforge.metrics.diversity import diversity_ratio
from latentforge.models.base import GenerativeModel, ModelConfig
from latentforge.models.capabilities import Decodes
from latentforge.nn.conv_nets import expect_output_shape
from latentforge.steps.health import GANHealthMonitor, HealthThresholds
from latentforge.steps.hooks import Monitor
from latentforge.steps.phases import OPTIMIZERS, Batch, LossOutput, OptimizerSpec, Phase
from latentforge.utils.seeding import randn

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


@torch.no_grad()
def score_logs(
    loss: AdversarialLoss, real_scores: Tensor, fake_scores: Tensor, d_loss: Tensor
) -> dict[str, Tensor]:
    """The values above for one discriminator step (all detached scalars)."""
    r, f = real_scores.detach().float(), fake_scores.detach().float()
    if loss.decision_threshold is None:
        threshold = (r.mean() + f.mean()) / 2.0
    else:
        threshold = torch.tensor(loss.decision_threshold, device=r.device)
    shown = torch.sigmoid if loss.scores_are_logits else (lambda scores: scores)
    logs = {
        "d_real": shown(r).mean(),
        "d_fake": shown(f).mean(),
        "accuracy": 0.5 * ((r > threshold).float().mean() + (f < threshold).float().mean()),
        "score_scale": 0.5 * (r.abs().mean() + f.abs().mean()),
    }
    if loss.decision_threshold is not None:
        at_threshold = threshold.reshape(1)
        chance = loss.discriminator_loss(at_threshold, at_threshold)
        logs["loss_vs_chance"] = d_loss.detach().float() / chance.clamp_min(1e-12)
    return logs


@dataclasses.dataclass
class AdversarialConfig(AdversarialGameConfig):
    """A noise-to-image game: the game's options and the size of the noise."""

    z_dim: int = 100

    option_help: ClassVar[dict[str, str]] = {
        "z_dim": "size of the noise vector the generator starts from",
        **AdversarialGameConfig.option_help,
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.z_dim >= 1, f"--z-dim must be >= 1, got {self.z_dim}")


class GameModel(GenerativeModel):
    """A model with one generator and one discriminator playing the game of its config: the
    two networks (built by the subclass, or any ``nn.Module`` of the right shapes passed in),
    the adversarial loss by name, and the two phases."""

    config: AdversarialGameConfig

    def __init__(
        self,
        config: AdversarialGameConfig,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
    ) -> None:
        super().__init__(config)
        self.generator = generator or self.build_generator()
        self.discriminator = discriminator or self.build_discriminator()
        self.adversarial_loss = ADVERSARIAL_LOSSES.get(config.loss)
        self._last_d_loss: Tensor | None = None

    def build_generator(self) -> nn.Module:
        raise NotImplementedError

    def build_discriminator(self) -> nn.Module:
        raise NotImplementedError

    def add_gradient_penalty(
        self,
        loss: Tensor,
        logs: dict[str, Tensor],
        critic: Callable[[Tensor], Tensor],
        real: Tensor,
        fake: Tensor,
    ) -> Tensor:
        """``loss`` plus the gradient penalty where the loss needs one (logged as
        ``gradient_penalty``); remembers the result for the generator's ``loss_ratio``."""
        if self.adversarial_loss.needs_gradient_penalty:
            penalty = gradient_penalty(critic, real, fake, self.config.gp_weight)
            logs["gradient_penalty"] = penalty.detach()
            loss = loss + penalty
        self._last_d_loss = loss.detach()
        return loss

    def loss_ratio(self, generator_loss: Tensor) -> dict[str, Tensor]:
        """``{"loss_ratio": L_G / |L_D|}`` once a discriminator step has run, else ``{}``."""
        if self._last_d_loss is None:
            return {}
        return {"loss_ratio": generator_loss.detach() / self._last_d_loss.abs().clamp_min(1e-8)}

    def game_phases(
        self,
        discriminator_loss: Callable[[Batch], LossOutput],
        generator_loss: Callable[[Batch], LossOutput],
        start: int = 0,
    ) -> list[Phase]:
        """The discriminator phase (weight clipping after each step when ``clip`` is set),
        then the generator phase on the discriminator's last batch, from cycle ``start``."""
        c = self.config
        clip = self.clip_discriminator if c.clip is not None else None
        discriminator_params = list(self.discriminator.parameters())
        return [
            discriminator_phase(c, discriminator_params, discriminator_loss, clip, start),
            generator_phase(c, list(self.generator.parameters()), generator_loss, start=start),
        ]

    def clip_discriminator(self) -> None:
        """Clamp every discriminator weight to [-clip, clip] (WGAN, Arjovsky et al. 2017)."""
        weight_clipping_(self.discriminator, self.config.clip)

    def ema_module(self) -> nn.Module:
        return self.generator


class AdversarialModel(GameModel, Decodes):
    """A generator G: noise -> image and a discriminator D: image -> score, trained in turns."""

    config: AdversarialConfig

    def __init__(
        self,
        config: AdversarialConfig,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
    ) -> None:
        super().__init__(config, generator, discriminator)
        self._check_networks()
        # when the health monitor warns; change before training to tune it
        self.health_thresholds = HealthThresholds()

    # --- networks ------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.config.in_channels, *self.config.image_size)

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
        loss = self.add_gradient_penalty(loss, logs, self.discriminator, real, fake)
        return LossOutput(loss, logs)

    def generator_loss(self, batch: Batch) -> LossOutput:
        """L_G on fresh noise; ``batch`` (the last real batch) only sets the batch size and
        is the reference for the diversity of the generated images."""
        real = batch["images"]
        fake = self.generator(self.sample_latent(real.shape[0]))
        loss = self.adversarial_loss.generator_loss(self.discriminator(fake))
        logs = {"diversity": diversity_ratio(fake, real * 2.0 - 1.0), **self.loss_ratio(loss)}
        return LossOutput(loss, logs)

    def training_phases(self, train) -> list[Phase]:
        """Discriminator ``d_steps`` times on data, then generator ``g_steps`` times on noise.

        The training ``--lr`` is not used: the phases take ``lr_d`` and ``lr_g``.
        """
        return self.game_phases(self.discriminator_loss, self.generator_loss)

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
