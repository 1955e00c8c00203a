"""What super-resolution and inpainting share: a generator that restores a degraded image,
trained on a content loss plus a small adversarial term, with a discriminator that judges
restored images against real ones (Ledig et al. 2017, https://arxiv.org/abs/1609.04802;
Pathak et al. 2016, https://arxiv.org/abs/1604.07379; Iizuka et al. 2017,
https://doi.org/10.1145/3072959.3073659).

The data are plain images: the model makes its own inputs from each clean image x
(``degrade``: downscaling, or cutting a hole), so any dataset works and nothing in the data
pipeline changes. With y = degrade(x) and G the generator, the losses are

    L_D = adversarial discriminator loss on D(x | y) (real) and D(G(y) | y) (restored)
    L_G = L_content(G(y), x) + w_adv * adversarial generator loss on D(G(y) | y)

(the losses by name from :data:`~latentforge.losses.ADVERSARIAL_LOSSES`; Wasserstein losses
get weight clipping or the gradient penalty as for the GANs). A cycle of the engine is
``d_steps`` discriminator steps, each on a fresh batch, then ``g_steps`` generator steps on
the last of those batches. The first ``pretrain_steps`` cycles train the generator on the
content loss alone (SRGAN starts from a trained SRResNet; Iizuka et al. train the completion
network alone first), and ``adversarial_weight 0`` trains on the content loss only throughout
(the MSE baselines), with no discriminator steps at all.

Images are in [0, 1] outside and [-1, 1] inside. A restoration model has no noise to sample
from: ``reconstruct(x)`` degrades and restores ``x`` (what ``evaluate``'s ``recon`` metric
measures), and ``sample(n)`` restores the model's stored example images (the first
validation images the engine shows it, or else its first training batch) ``n`` times over.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.errors import ConfigError
from latentforge.metrics.image_quality import per_image_mse, per_image_psnr, per_image_ssim
from latentforge.models.adversarial import (
    DISCRIMINATOR,
    GENERATOR,
    AdversarialGameConfig,
    GameModel,
    StepsFrom,
    score_logs,
)
from latentforge.models.capabilities import PairedOutputs, Reconstructs
from latentforge.nn.norms_activations import NORMS
from latentforge.steps.health import GANHealthMonitor
from latentforge.steps.hooks import Monitor
from latentforge.steps.phases import Batch, LossOutput, Phase
from latentforge.viz.grid import interleave_rows

PRETRAIN = "pretrain"
EVAL_SEED = 1234  # the validation degradations (masks) are the same every epoch
Degraded = dict[str, Tensor]


@dataclasses.dataclass
class RestorationConfig(AdversarialGameConfig):
    """The game of a restoration GAN, the discriminator and the content-only pretraining.
    Defaults follow SRGAN: Adam, lr 1e-4, beta1 0.9."""

    lr_d: float = 1e-4
    lr_g: float = 1e-4
    beta1: float = 0.9
    adversarial_weight: float = 1e-3
    pretrain_steps: int = 0
    d_channels: tuple[int, ...] = (64, 128, 256, 512)
    d_norm: str = "batch"
    examples: int = 64

    option_help: ClassVar[dict[str, str]] = {
        "adversarial_weight": "weight of the adversarial term in the generator loss (0: content "
        "loss only, no discriminator)",
        "pretrain_steps": "first train the generator on the content loss alone for this many steps",
        **AdversarialGameConfig.option_help,
        "g_steps": "generator steps per cycle (on the discriminator's last batch)",
        "d_warmup_cycles": "cycles after the pretraining that use --d-warmup-steps",
        "d_channels": "discriminator channels per stride-2 convolution, from the image side",
        "d_norm": "discriminator normalisation: batch, instance, group or none",
        "examples": "how many example images the model keeps for sample()",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
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


def cpu_generator(generator: torch.Generator | None) -> torch.Generator | None:
    """A CPU generator for the draws of a degradation (the same on every device): ``generator``
    itself when it is on the CPU, else one seeded with its seed."""
    if generator is None or generator.device.type == "cpu":
        return generator
    return torch.Generator().manual_seed(generator.initial_seed())


class RestorationGAN(GameModel, Reconstructs, PairedOutputs):
    """Base of ``srgan`` and ``inpainting``. Subclasses build the two networks and say how an
    image is degraded, restored, compared (content loss) and scored by the discriminator."""

    config: RestorationConfig

    def __init__(
        self,
        config: RestorationConfig,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
    ) -> None:
        super().__init__(config, generator, discriminator)
        shape = (config.examples, config.in_channels, *config.image_size)
        self.register_buffer("example_images", torch.zeros(shape, dtype=torch.uint8))
        self.register_buffer("example_count", torch.zeros((), dtype=torch.int64))

    # --- what a subclass defines (and build_generator, build_discriminator) ---------------
    def degrade(self, images: Tensor, generator: torch.Generator | None = None) -> Degraded:
        """The generator's inputs made from clean images in [0, 1] (tensors in [-1, 1])."""
        raise NotImplementedError

    def restore(self, degraded: Degraded) -> Tensor:
        """Restored images ``(N, C, H, W)`` in [-1, 1] (differentiable)."""
        raise NotImplementedError

    def content_loss(
        self, restored: Tensor, target: Tensor, degraded: Degraded
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The content loss of restored vs target images (both in [-1, 1]) and its parts."""
        raise NotImplementedError

    def score(self, images: Tensor, degraded: Degraded) -> Tensor:
        """Discriminator scores ``(N,)`` of images in [-1, 1] given the degradation."""
        return self.discriminator(images)

    def show_input(self, degraded: Degraded) -> Tensor:
        """The degraded input as a full-size picture in [0, 1], for grids."""
        raise NotImplementedError

    def quality(self, restored: Tensor, images: Tensor, degraded: Degraded) -> dict[str, Tensor]:
        """Validation numbers beyond MSE, PSNR and SSIM (images in [0, 1])."""
        return {}

    # --- restoring images ----------------------------------------------------------------
    @torch.no_grad()
    def reconstruct(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Degrade images in [0, 1] and restore them: ``(N, C, H, W)`` in [0, 1]."""
        return self._to_unit(self.restore(self.degrade(images, cpu_generator(generator))))

    has_paired_targets = True  # the true image is known for every restored one

    @property
    def data_shape(self) -> tuple[int, int, int]:
        """One data image is one whole image, ``(C, H, W)``."""
        return (self.config.in_channels, *self.config.image_size)

    @torch.no_grad()
    def paired_outputs(
        self, images: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Images in [0, 1] -> (their restorations after degrading, the images themselves)."""
        return self.reconstruct(images, generator), images

    @staticmethod
    def _to_unit(images: Tensor) -> Tensor:
        return ((images + 1.0) / 2.0).clamp(0.0, 1.0)

    @torch.no_grad()
    def remember_examples(self, images: Tensor) -> None:
        """Keep up to ``examples`` images (uint8) for :meth:`sample`."""
        k = min(images.shape[0], self.example_images.shape[0])
        self.example_images[:k] = (images[:k] * 255.0).round().to(torch.uint8)
        self.example_count.fill_(k)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Restorations of the stored examples, cycling through them: ``(n, C, H, W)``."""
        k = int(self.example_count)
        if k == 0:
            raise ConfigError(
                f"this {self.model_type} model has no example images yet: it restores given "
                "images (reconstruct / translate); train it, or call remember_examples(images)"
            )
        images = self.example_images[torch.arange(n, device=self.device) % k].float() / 255.0
        return self.reconstruct(images, generator)

    # --- losses of the phases ------------------------------------------------------------
    def _restore_batch(self, batch: Batch) -> tuple[Tensor, Tensor, Degraded]:
        images = batch["images"]
        if int(self.example_count) == 0:
            self.remember_examples(images)
        degraded = self.degrade(images)
        return self.restore(degraded), images * 2.0 - 1.0, degraded

    def content_phase_loss(self, batch: Batch) -> LossOutput:
        """The content loss alone (pretraining, and models without an adversary)."""
        restored, target, degraded = self._restore_batch(batch)
        loss, logs = self.content_loss(restored, target, degraded)
        return LossOutput(loss, {k: v.detach() for k, v in logs.items()})

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """L_D on real images and their restorations (G without gradients), plus the
        gradient penalty where the loss needs one."""
        images = batch["images"]
        real = images * 2.0 - 1.0
        degraded = self.degrade(images)
        with torch.no_grad():
            fake = self.restore(degraded)
        real_scores, fake_scores = self.score(real, degraded), self.score(fake, degraded)
        loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
        logs = score_logs(self.adversarial_loss, real_scores, fake_scores, loss)
        critic = lambda x: self.score(x, degraded)  # noqa: E731
        loss = self.add_gradient_penalty(loss, logs, critic, real, fake)
        return LossOutput(loss, logs)

    def generator_loss(self, batch: Batch) -> LossOutput:
        """L_content + adversarial_weight * L_adv on the discriminator's last batch."""
        restored, target, degraded = self._restore_batch(batch)
        content, logs = self.content_loss(restored, target, degraded)
        adversarial = self.adversarial_loss.generator_loss(self.score(restored, degraded))
        loss = content + self.config.adversarial_weight * adversarial
        logs = {k: v.detach() for k, v in logs.items()}
        logs.update(content=content.detach(), adversarial=adversarial.detach())
        logs.update(self.loss_ratio(adversarial))
        return LossOutput(loss, logs)

    def training_phases(self, train) -> list[Phase]:
        """``pretrain`` (content loss, the first ``pretrain_steps`` cycles), then the game's
        ``discriminator`` and ``generator`` phases (with the discriminator warm-up counted from
        the end of the pretraining); one ``generator`` phase on the content loss when
        ``adversarial_weight`` is 0."""
        c = self.config
        self.prepare_training()
        generator_params = list(self.generator.parameters())
        content_only = Phase(
            GENERATOR, generator_params, c.optimizer_spec(c.lr_g), self.content_phase_loss
        )
        if c.adversarial_weight == 0:
            return [content_only]
        phases = []
        if c.pretrain_steps:
            pretrain = StepsFrom(c.pretrain_steps, 0, before=1)
            phases.append(dataclasses.replace(content_only, name=PRETRAIN, steps=pretrain))
        return [
            *phases,
            *self.game_phases(self.discriminator_loss, self.generator_loss, c.pretrain_steps),
        ]

    def prepare_training(self) -> None:
        """Checks and set-up before training (a subclass loads its feature network here)."""

    # --- engine hooks --------------------------------------------------------------------
    @torch.no_grad()
    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        """Content loss, MSE, PSNR (dB, per image then averaged) and SSIM of the restorations
        of held-out images; the degradations are drawn from a fixed seed."""
        images = batch["images"]
        degraded = self.degrade(images, torch.Generator().manual_seed(EVAL_SEED))
        restored = self.restore(degraded)
        content, _ = self.content_loss(restored, images * 2.0 - 1.0, degraded)
        out = self._to_unit(restored)
        values = {
            "content": content,
            "mse": per_image_mse(out, images).mean(),
            "psnr": per_image_psnr(out, images).clamp_max(100.0).mean(),
        }
        if min(images.shape[-2:]) >= 11:
            values["ssim"] = per_image_ssim(out, images).mean()
        values.update(self.quality(out, images, degraded))
        return values

    @torch.no_grad()
    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        """``restorations``: rows of inputs, restorations and targets, 8 per row."""
        images = batch["images"][:32]
        self.remember_examples(batch["images"])
        degraded = self.degrade(images, cpu_generator(generator))
        restored = self._to_unit(self.restore(degraded))
        shown = self.show_input(degraded)
        return {"restorations": interleave_rows(shown, restored, images, per_row=8)}

    def monitors(self) -> list[Monitor]:
        if not self.config.health_checks or self.config.adversarial_weight == 0:
            return []
        return [GANHealthMonitor(DISCRIMINATOR, GENERATOR)]
