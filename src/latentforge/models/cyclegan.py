r"""``cyclegan``: unpaired image-to-image translation with cycle consistency (Zhu et al. 2017,
https://arxiv.org/abs/1703.10593).

    latentforge train cyclegan --data sneaker2boot --epochs 5
    latentforge translate runs/cyclegan boots/*.png --direction b2a -o sneakers/

Two generators, G: A -> B and F: B -> A (``generators["a2b"]``, ``generators["b2a"]``;
ResNet-style by default, ``nn/resnet_generator.py``, or a U-Net), and two PatchGAN
discriminators, D_A on domain A and D_B on domain B. The full objective (eq. 3 and 5.2):

.. math::  \mathcal L = \mathcal L_{GAN}(G, D_B) + \mathcal L_{GAN}(F, D_A)
           + \lambda\,\mathcal L_{cyc}(G, F) + 0.5\lambda\,\mathcal L_{idt}(G, F),
           \qquad \lambda = 10,

with the least-squares GAN loss (section 4: D minimises E[(D(b) - 1)^2] + E[D(G(a))^2], G
minimises E[(D(G(a)) - 1)^2]) and the L1 cycle and identity terms of
``losses/translation.py``. The registry's least-squares generator loss is
:math:`\tfrac12\mathbb E[(f - 1)^2]`, so ``--gan-weight 2`` (the default) gives the paper's
E[(D(G(a)) - 1)^2] beside lambda = 10; the discriminators' loss carries the reference
code's factor 1/2, which Adam does not see. The discriminators are trained on a pool of the
last 50 generated images per domain (``models/image_pool.py``), the pool kept in the model's
buffers so that checkpoints save it and resume continues exactly. One cycle: both
discriminators (one optimiser), then both generators (one optimiser) on the same batch;
Adam with lr 2e-4 and beta1 0.5, instance norm, weights from N(0, 0.02).

Data: ``unpaired`` (or ``paired``) pairs ``(N, 2C, H, W)``, A in the first C channels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.data.pairs import split_pair
from latentforge.losses import (
    ADVERSARIAL_LOSSES,
    cycle_consistency_loss,
    gradient_penalty,
    identity_loss,
    weight_clipping_,
)
from latentforge.metrics.diversity import diversity_ratio
from latentforge.models.adversarial import discriminator_phase, generator_phase, score_logs
from latentforge.models.base import MODELS
from latentforge.models.image_pool import ImagePool
from latentforge.models.translation import (
    TranslationConfig,
    TranslationModel,
    mean_logs,
    signed_pair,
    translation_quality,
)
from latentforge.nn.conv_nets import expect_output_shape
from latentforge.nn.gan_nets import dcgan_init_
from latentforge.nn.norms_activations import NORMS
from latentforge.nn.patchgan import PatchGAN
from latentforge.nn.resnet_generator import ResnetGenerator
from latentforge.nn.unet import UNet
from latentforge.nn.upsample import UPSAMPLE_MODES
from latentforge.registry import Registry
from latentforge.steps.phases import Batch, LossOutput, Phase

A2B, B2A = "a2b", "b2a"
DOMAINS = ("a", "b")


@dataclasses.dataclass
class CycleGANConfig(TranslationConfig):
    """CycleGAN: two generators, two PatchGANs, least squares + cycle + identity."""

    loss: str = "least-squares"
    cycle_weight: float = 10.0
    identity_weight: float = 0.5
    gan_weight: float = 2.0
    pool_size: int = 50
    generator: str = "resnet"
    g_channels: tuple[int, ...] = (32, 64, 128)
    residual_blocks: int = 6
    d_channels: tuple[int, ...] = (64, 128)
    norm: str = "instance"
    upsample: str = "transposed"

    accepted_layouts: ClassVar[tuple[str, ...]] = ("unpaired", "paired")
    # sneakers <-> ankle boots: from Fashion-MNIST when it is in the data directory, else
    # from the built-in sample; never downloaded
    default_data: ClassVar[str] = "sneaker2boot"
    option_help: ClassVar[dict[str, str]] = {
        **TranslationConfig.option_help,
        "cycle_weight": "lambda, the weight of the cycle-consistency term (10 in the paper)",
        "identity_weight": "identity term weight as a multiple of lambda (0.5; 0 turns it off)",
        "gan_weight": "weight of each generator's adversarial term (2 with least-squares "
        "gives the paper's E[(D(G(a)) - 1)^2])",
        "pool_size": "past generated images per domain the discriminators draw from (0: none)",
        "generator": "resnet (the paper's) or unet",
        "g_channels": "generator channels: resnet: stem then each downsampling; unet: levels",
        "residual_blocks": "residual blocks of the resnet generator (6 for 128px, 9 for 256px)",
        "d_channels": "PatchGAN channels: 64,128 sees 16x16 patches, 64,128,256,512 70x70",
        "norm": "normalisation in all four networks: instance, batch, group or none",
        "upsample": "transposed, nearest or bilinear upsampling in the generators",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag, value in (
            ("--cycle-weight", self.cycle_weight),
            ("--identity-weight", self.identity_weight),
            ("--gan-weight", self.gan_weight),
        ):
            require(value >= 0, f"{flag} must be >= 0, got {value}")
        require(self.pool_size >= 0, f"--pool-size must be >= 0, got {self.pool_size}")
        require(
            self.generator in GENERATORS,
            f"--generator must be one of {', '.join(GENERATORS.names())}, got {self.generator!r}",
        )
        for flag, widths in (("--g-channels", self.g_channels), ("--d-channels", self.d_channels)):
            require(
                len(widths) >= 1 and min(widths) >= 1,
                f"{flag} must be positive ints, got {widths}",
            )
        require(
            self.residual_blocks >= 0,
            f"--residual-blocks must be >= 0, got {self.residual_blocks}",
        )
        require(self.norm in NORMS, f"--norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        require(
            self.upsample in UPSAMPLE_MODES,
            f"--upsample must be one of {', '.join(UPSAMPLE_MODES)}, got {self.upsample!r}",
        )


GENERATORS: Registry[Callable[[CycleGANConfig], nn.Module]] = Registry("cyclegan generator")
GENERATORS.add(
    "resnet",
    lambda c: ResnetGenerator(
        c.in_channels,
        c.in_channels,
        c.image_size,
        c.g_channels,
        c.residual_blocks,
        c.norm,
        c.upsample,
    ),
)
GENERATORS.add(
    "unet",
    lambda c: UNet(
        c.in_channels, c.in_channels, c.image_size, c.g_channels, c.norm, 0.0, 0, c.upsample
    ),
)


@MODELS.register("cyclegan")
class CycleGAN(TranslationModel):
    """CycleGAN: unpaired image-to-image translation (Zhu et al. 2017)."""

    config_class = CycleGANConfig
    directions = (A2B, B2A)
    config: CycleGANConfig

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__(config)
        c, shape = config, self.image_shape
        self.generators = nn.ModuleDict(
            {d: dcgan_init_(GENERATORS.get(c.generator)(c)) for d in (A2B, B2A)}
        )
        self.discriminators = nn.ModuleDict(  # discriminators["b"] judges domain B
            {d: dcgan_init_(PatchGAN(c.in_channels, c.image_size, c.d_channels, c.norm))
             for d in DOMAINS}
        )  # fmt: skip
        self.pools = nn.ModuleDict({d: ImagePool(c.pool_size, shape) for d in DOMAINS})
        self.adversarial_loss = ADVERSARIAL_LOSSES.get(c.loss)
        for name, net in self.generators.items():
            expect_output_shape(net, f"{name} generator", shape, shape)

    def generator_for(self, direction: str) -> nn.Module:
        return self.generators[direction]

    # --- the two phases --------------------------------------------------------------------
    def _judge(
        self, batch: Batch, pooled: bool
    ) -> tuple[dict[str, Tensor], dict[str, Tensor], Tensor, dict[str, Tensor]]:
        """Both discriminators on real images against fakes (generators without gradients;
        through the pools when ``pooled``): ``(reals, fakes, L_D_A + L_D_B, logs)``, the
        dicts keyed by domain, images in [-1, 1]."""
        real_a, real_b = signed_pair(batch)
        reals = {"a": real_a, "b": real_b}
        with torch.no_grad():
            fakes = {"b": self.generators[A2B](real_a), "a": self.generators[B2A](real_b)}
        if pooled:
            fakes = {d: self.pools[d].query(fakes[d]) for d in DOMAINS}
        losses, score_sets = {}, []
        for d in DOMAINS:
            net = self.discriminators[d]
            real_scores, fake_scores = net(reals[d]), net(fakes[d])
            loss = self.adversarial_loss.discriminator_loss(real_scores, fake_scores)
            losses[d] = loss
            score_sets.append(score_logs(self.adversarial_loss, real_scores, fake_scores, loss))
        loss = losses["a"] + losses["b"]
        logs = {**mean_logs(*score_sets), **{f"d_{d}_loss": losses[d].detach() for d in DOMAINS}}
        return reals, fakes, loss, logs

    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """L_D of D_A plus that of D_B, each on its real images against pooled fakes."""
        reals, fakes, loss, logs = self._judge(batch, pooled=True)
        if self.adversarial_loss.needs_gradient_penalty:
            penalty = sum(
                gradient_penalty(self.discriminators[d], reals[d], fakes[d], self.config.gp_weight)
                for d in DOMAINS
            )
            logs["gradient_penalty"] = penalty.detach()
            loss = loss + penalty
        self._last_d_loss = loss.detach() / 2.0  # per discriminator, like the generators' term
        return LossOutput(loss, logs)

    def generator_loss(self, batch: Batch) -> LossOutput:
        """``gan_weight (L_G(D_B(G(a))) + L_G(D_A(F(b)))) + lambda L_cyc + 0.5 lambda L_idt``
        (images in [-1, 1]; ``cycle`` and ``identity`` are logged in [0, 1] units)."""
        c = self.config
        real_a, real_b = signed_pair(batch)
        self.remember_sources(real_a)
        g, f = self.generators[A2B], self.generators[B2A]
        fake_b, fake_a = g(real_a), f(real_b)
        adversarial = self.adversarial_loss.generator_loss(
            self.discriminators["b"](fake_b)
        ) + self.adversarial_loss.generator_loss(self.discriminators["a"](fake_a))
        cycle = cycle_consistency_loss(real_a, f(fake_b), real_b, g(fake_a))
        loss = c.gan_weight * adversarial + c.cycle_weight * cycle
        logs: dict[str, Tensor | float] = {
            "adversarial": adversarial.detach(),
            "cycle": cycle.detach() / 2.0,
            "diversity": 0.5 * (diversity_ratio(fake_b, real_b) + diversity_ratio(fake_a, real_a)),
            **self.loss_ratio_log(adversarial / 2.0),
        }
        if c.identity_weight > 0:
            identity = identity_loss(real_a, f(real_a), real_b, g(real_b))
            loss = loss + c.identity_weight * c.cycle_weight * identity
            logs["identity"] = identity.detach() / 2.0
        return LossOutput(loss, logs)

    def training_phases(self, train) -> list[Phase]:
        """Both discriminators, then both generators on the same batch (``lr_d``, ``lr_g``;
        the training ``--lr`` is not used)."""
        clip = self.clip_discriminators if self.config.clip is not None else None
        return [
            discriminator_phase(
                self.config, list(self.discriminators.parameters()), self.discriminator_loss, clip
            ),
            generator_phase(self.config, list(self.generators.parameters()), self.generator_loss),
        ]

    def clip_discriminators(self) -> None:
        weight_clipping_(self.discriminators, self.config.clip)

    # --- validation and grids -------------------------------------------------------------
    @torch.no_grad()
    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        """Cycle reconstruction quality per domain (``cycle_a_l1``, ``cycle_a_psnr``, ...: A
        -> B -> A and B -> A -> B against the input, in [0, 1]) and the discriminators' loss
        and scores against fresh fakes."""
        real_a, real_b = split_pair(batch["images"])
        values: dict[str, Tensor] = {}
        for domain, images, there, back in (("a", real_a, A2B, B2A), ("b", real_b, B2A, A2B)):
            cycled = self.translate(self.translate(images, there), back)
            values.update(translation_quality(cycled, images, prefix=f"cycle_{domain}_"))
        _, _, loss, logs = self._judge(batch, pooled=False)
        return {**values, "d_loss": loss, **logs}

    @torch.no_grad()
    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        """``a2b``: rows of A images, their translations to B and back; ``b2a`` likewise."""
        real_a, real_b = split_pair(batch["images"])
        grids = {}
        for name, images, there, back in ((A2B, real_a, A2B, B2A), (B2A, real_b, B2A, A2B)):
            translated = self.translate(images, there)
            grids[name] = self.comparison_grid(
                [images, translated, self.translate(translated, back)]
            )
        return grids

    def ema_module(self) -> nn.Module:
        return self.generators
