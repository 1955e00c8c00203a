r"""``pix2pix``: paired image-to-image translation with a conditional GAN (Isola et al. 2017,
https://arxiv.org/abs/1611.07004).

    latentforge train pix2pix --data edges2fashion --epochs 5
    latentforge translate runs/pix2pix edges/*.png -o translated/

A U-Net generator G maps a source image x to y' = G(x) (``nn/unet.py``); a PatchGAN
discriminator D scores overlapping patches of a (source, image) pair stacked along the
channels, real (x, y) against fake (x, G(x)) (``nn/patchgan.py``). The objective (eq. 4):

.. math::  G^* = \arg\min_G \max_D \mathcal L_{cGAN}(G, D) + \lambda\,\mathcal L_{L1}(G),
           \qquad \mathcal L_{L1} = \mathbb E\|y - G(x)\|_1,\ \lambda = 100,

with the adversarial loss from the registry (``--loss``, default the non-saturating form the
paper trains with) and L1 measured on images in [-1, 1], as in the reference code. Each cycle
is one discriminator step and one generator step on the same batch (Adam, lr 2e-4, beta1
0.5); weights start from N(0, 0.02). Dropout in the generator (``--dropout``) is the paper's
only noise; it is active in training only.

``--gan-weight 0`` drops the discriminator: the same U-Net trained on lambda L1 alone, the
baseline of ``benchmarks/pix2pix.py``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.data.pairs import split_pair
from latentforge.losses import ADVERSARIAL_LOSSES, gradient_penalty, l1_loss, weight_clipping_
from latentforge.metrics.diversity import diversity_ratio
from latentforge.models.adversarial import discriminator_phase, generator_phase, score_logs
from latentforge.models.base import MODELS
from latentforge.models.translation import (
    TranslationConfig,
    TranslationModel,
    signed_pair,
    to_signed,
    translation_quality,
)
from latentforge.nn.conv_nets import expect_output_shape
from latentforge.nn.gan_nets import dcgan_init_
from latentforge.nn.norms_activations import NORMS
from latentforge.nn.patchgan import PatchGAN
from latentforge.nn.unet import UNet
from latentforge.nn.upsample import UPSAMPLE_MODES
from latentforge.steps.phases import Batch, LossOutput, Phase


@dataclasses.dataclass
class Pix2PixConfig(TranslationConfig):
    """pix2pix: U-Net generator, PatchGAN discriminator, adversarial + lambda L1."""

    l1_weight: float = 100.0
    gan_weight: float = 1.0
    g_channels: tuple[int, ...] = (64, 128, 256, 256)
    d_channels: tuple[int, ...] = (64, 128)
    g_norm: str = "batch"
    d_norm: str = "batch"
    dropout: float = 0.5
    dropout_layers: int = 3
    upsample: str = "transposed"

    option_help: ClassVar[dict[str, str]] = {
        **TranslationConfig.option_help,
        "l1_weight": "lambda, the weight of the L1 term (100 in the paper)",
        "gan_weight": "weight of the adversarial term; 0 trains the U-Net on L1 alone",
        "g_channels": "U-Net channels per level, from the image side (depth = their count)",
        "d_channels": "PatchGAN channels: 64,128 sees 16x16 patches, 64,128,256,512 70x70",
        "g_norm": "generator normalisation: batch, instance, group or none",
        "d_norm": "discriminator normalisation (not on its first layer)",
        "dropout": "dropout after the first --dropout-layers decoder blocks (training only)",
        "dropout_layers": "how many decoder blocks, from the innermost, get dropout",
        "upsample": "transposed, nearest or bilinear upsampling in the U-Net decoder",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.l1_weight >= 0, f"--l1-weight must be >= 0, got {self.l1_weight}")
        require(self.gan_weight >= 0, f"--gan-weight must be >= 0, got {self.gan_weight}")
        require(
            self.l1_weight > 0 or self.gan_weight > 0,
            "--l1-weight and --gan-weight are both 0: nothing to train",
        )
        for flag, widths in (("--g-channels", self.g_channels), ("--d-channels", self.d_channels)):
            require(
                len(widths) >= 1 and min(widths) >= 1,
                f"{flag} must be positive ints, got {widths}",
            )
        for flag, norm in (("--g-norm", self.g_norm), ("--d-norm", self.d_norm)):
            require(norm in NORMS, f"{flag} must be one of {', '.join(NORMS)}, got {norm!r}")
        require(0.0 <= self.dropout < 1.0, f"--dropout must be in [0, 1), got {self.dropout}")
        require(
            self.dropout_layers >= 0, f"--dropout-layers must be >= 0, got {self.dropout_layers}"
        )
        require(
            self.upsample in UPSAMPLE_MODES,
            f"--upsample must be one of {', '.join(UPSAMPLE_MODES)}, got {self.upsample!r}",
        )


@MODELS.register("pix2pix")
class Pix2Pix(TranslationModel):
    """pix2pix: paired image-to-image translation (Isola et al. 2017)."""

    config_class = Pix2PixConfig
    has_paired_targets = True  # each source comes with its true output
    config: Pix2PixConfig

    def __init__(
        self,
        config: Pix2PixConfig,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
    ) -> None:
        super().__init__(config)
        c, shape = config, self.image_shape
        self.generator = generator or dcgan_init_(
            UNet(
                c.in_channels,
                c.in_channels,
                c.image_size,
                c.g_channels,
                c.g_norm,
                c.dropout,
                c.dropout_layers,
                c.upsample,
            )
        )
        pair_channels = 2 * c.in_channels
        self.discriminator = discriminator or dcgan_init_(
            PatchGAN(pair_channels, c.image_size, c.d_channels, c.d_norm)
        )
        self.adversarial_loss = ADVERSARIAL_LOSSES.get(c.loss)
        expect_output_shape(self.generator, "generator", shape, shape)
        expect_output_shape(self.discriminator, "discriminator", (pair_channels, *c.image_size))

    @property
    def adversarial(self) -> bool:
        return self.config.gan_weight > 0

    def generator_for(self, direction: str) -> nn.Module:
        return self.generator

    # --- the two phases --------------------------------------------------------------------
    def _judge(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor, dict[str, Tensor]]:
        """Real pairs (x, y) and fake pairs (x, G(x)) (G without gradients) through D:
        ``(real pairs, fake pairs, L_D, score logs)``, in [-1, 1]."""
        real_pairs = to_signed(batch["images"])  # (N, 2C, H, W): source, target
        source, _ = split_pair(real_pairs)
        with torch.no_grad():
            fake_pairs = torch.cat([source, self.generator(source)], dim=1)
        real_scores, fake_scores = self.discriminator(real_pairs), self.discriminator(fake_pairs)
        loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
        logs = score_logs(self.adversarial_loss, real_scores, fake_scores, loss)
        return real_pairs, fake_pairs, loss, logs

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """L_D on real (x, y) against fake (x, G(x)) pairs, plus the gradient penalty where
        the loss needs one."""
        real_pairs, fake_pairs, loss, logs = self._judge(batch)
        if self.adversarial_loss.needs_gradient_penalty:
            penalty = gradient_penalty(
                self.discriminator, real_pairs, fake_pairs, self.config.gp_weight
            )
            logs["gradient_penalty"] = penalty.detach()
            loss = loss + penalty
        self._last_d_loss = loss.detach()
        return LossOutput(loss, logs)

    def generator_loss(self, batch: Batch) -> LossOutput:
        """``gan_weight * L_G(D(x, G(x))) + l1_weight * E|y - G(x)|`` (images in [-1, 1]);
        ``l1`` is logged in [0, 1] units, half the value in the loss."""
        c = self.config
        source, target = signed_pair(batch)
        self.remember_sources(source)
        fake = self.generator(source)
        l1 = l1_loss(fake, target)
        loss = c.l1_weight * l1
        logs: dict[str, Tensor | float] = {
            "l1": l1.detach() / 2.0,
            "diversity": diversity_ratio(fake, target),
        }
        if self.adversarial:
            adversarial = self.adversarial_loss.generator_loss(
                self.discriminator(torch.cat([source, fake], dim=1))
            )
            loss = loss + c.gan_weight * adversarial
            logs.update({"adversarial": adversarial.detach(), **self.loss_ratio_log(adversarial)})
        return LossOutput(loss, logs)

    def training_phases(self, train) -> list[Phase]:
        """Discriminator then generator on the same batch; the generator alone (on fresh
        batches) with ``--gan-weight 0``. The training ``--lr`` is not used (``lr_d``,
        ``lr_g``)."""
        g_params = list(self.generator.parameters())
        if not self.adversarial:
            return [generator_phase(self.config, g_params, self.generator_loss, uses_data=True)]
        clip = self.clip_discriminator if self.config.clip is not None else None
        return [
            discriminator_phase(
                self.config, list(self.discriminator.parameters()), self.discriminator_loss, clip
            ),
            generator_phase(self.config, g_params, self.generator_loss),
        ]

    def clip_discriminator(self) -> None:
        weight_clipping_(self.discriminator, self.config.clip)

    # --- validation and grids -------------------------------------------------------------
    @torch.no_grad()
    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        """L1, PSNR and SSIM of G(x) against y on held-out pairs (images in [0, 1]), and the
        discriminator's loss and scores there when it is trained."""
        source, target = split_pair(batch["images"])
        values = translation_quality(self.translate(source), target)
        if self.adversarial:
            _, _, loss, logs = self._judge(batch)
            values.update({"d_loss": loss, **logs})
        return values

    @torch.no_grad()
    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        """``translations``: rows of sources, their translations and the targets, in turn."""
        source, target = split_pair(batch["images"])
        return {"translations": self.comparison_grid([source, self.translate(source), target])}

    def ema_module(self) -> nn.Module:
        return self.generator
