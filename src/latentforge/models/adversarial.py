"""What every noise-to-image GAN shares: the noise, the generator and discriminator, and the
two phases of the game (``latentforge.models.adversarial_game``).

A cycle of the engine is Algorithm 1 of Goodfellow et al. 2014
(https://arxiv.org/abs/1406.2661): ``d_steps`` discriminator steps, each on a fresh batch
of real images and a fresh batch of noise, then ``g_steps`` generator steps on fresh noise.

Images are in [0, 1] outside and [-1, 1] inside: the discriminator sees ``2x - 1``, the
generator ends in tanh, and ``decode`` / ``sample`` map back with ``(g + 1) / 2``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.losses import ADVERSARIAL_LOSSES, gradient_penalty, weight_clipping_
from latentforge.metrics.diversity import diversity_ratio
from latentforge.models.adversarial_game import (
    DISCRIMINATOR,
    GENERATOR,
    AdversarialGameConfig,
    DiscriminatorSchedule,
    discriminator_phase,
    generator_phase,
)
from latentforge.models.adversarial_logs import score_logs
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import Decodes
from latentforge.nn.conv_nets import expect_output_shape
from latentforge.steps.health import GANHealthMonitor, HealthThresholds
from latentforge.steps.hooks import Monitor
from latentforge.steps.phases import Batch, LossOutput, Phase
from latentforge.utils.seeding import randn

__all__ = [
    "DISCRIMINATOR",
    "GENERATOR",
    "AdversarialConfig",
    "AdversarialModel",
    "DiscriminatorSchedule",
]


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


class AdversarialModel(GenerativeModel, Decodes):
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
        clip = self.clip_discriminator if self.config.clip is not None else None
        return [
            discriminator_phase(
                self.config, list(self.discriminator.parameters()), self.discriminator_loss, clip
            ),
            generator_phase(self.config, list(self.generator.parameters()), self.generator_loss),
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
