r"""``progan``: the progressive GAN (Karras et al. 2018, https://arxiv.org/abs/1710.10196).

    latentforge train progan --data fashion-mnist --image-size 32 --stage-images 60000 --epochs 8

Training starts at the base resolution (4x4 for 32x32 or 64x64 images) and doubles it stage by
stage, fading each new block in over ``--stage-images`` real images and then training it as is
for as many again (``models/growth.py`` has the timeline). The networks are in
``latentforge.nn.progan_nets`` (equalized learning rate, pixel norm, minibatch standard
deviation); the game is the shared two-phase base of ``models/adversarial.py`` with the paper's
settings: WGAN-GP with the drift term (``wasserstein-gp-drift``), one critic step per generator
step, Adam with lr 1e-3 and betas (0, 0.99).

The growth clock is part of the model: two int64 buffers count the real images shown to the
discriminator and its steps; the discriminator phase advances them after each step. They are
saved with the weights, so a resumed run, and a model loaded from disk, is exactly where the
clock says. Real images are downsampled to the stage's resolution inside the model (and, while
a stage fades in, blended with their half-resolution version, as the generator's output is).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import torch
from torch import Tensor

from latentforge.config import require
from latentforge.models.adversarial import AdversarialConfig, AdversarialModel
from latentforge.models.base import MODELS
from latentforge.models.growth import Growth, GrowthSchedule
from latentforge.nn.progan_nets import (
    GrowingDiscriminator,
    GrowingGenerator,
    downscale,
    max_stages,
    stage_channels,
    stage_sizes,
    upscale,
)
from latentforge.steps.phases import Batch, LossOutput, Phase

if TYPE_CHECKING:
    from latentforge.steps.hooks import Callback, RunningTrainer
    from latentforge.steps.train_config import TrainConfig


@dataclasses.dataclass
class ProGANConfig(AdversarialConfig):
    """The growth schedule and network widths; the game defaults follow the paper."""

    z_dim: int = 128
    loss: str = "wasserstein-gp-drift"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    beta1: float = 0.0
    beta2: float = 0.99
    num_stages: int | None = None
    stage_images: int = 60000
    stage_steps: int | None = None
    max_channels: int = 128
    min_channels: int = 32
    mbstd_group: int = 4

    option_help: ClassVar[dict[str, str]] = {
        **AdversarialConfig.option_help,
        "num_stages": "resolutions to grow through, each double the last (default: from 4x4 "
        "or the smallest size the image halves to exactly)",
        "stage_images": "real images shown to the discriminator in each fade-in and each "
        "stabilise phase",
        "stage_steps": "measure each phase in discriminator steps instead of images",
        "max_channels": "feature maps at the low resolutions",
        "min_channels": "feature maps at the full resolution (doubling towards the base, "
        "capped at --max-channels)",
        "mbstd_group": "group size of the minibatch standard deviation (0: leave it out)",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            self.num_stages is None or self.num_stages >= 1,
            f"--num-stages must be >= 1, got {self.num_stages}",
        )
        stage_sizes(tuple(self.image_size), self.stages)  # fails for sizes that do not halve
        require(self.stage_images >= 1, f"--stage-images must be >= 1, got {self.stage_images}")
        require(
            self.stage_steps is None or self.stage_steps >= 1,
            f"--stage-steps must be >= 1, got {self.stage_steps}",
        )
        require(
            1 <= self.min_channels <= self.max_channels,
            f"need 1 <= --min-channels <= --max-channels, got {self.min_channels} and "
            f"{self.max_channels}",
        )
        require(
            self.mbstd_group == 0 or self.mbstd_group >= 2,
            f"--mbstd-group must be 0 (off) or >= 2, got {self.mbstd_group}",
        )

    @property
    def stages(self) -> int:
        return self.num_stages or max_stages(tuple(self.image_size))

    @property
    def schedule(self) -> GrowthSchedule:
        """Phases in discriminator steps with ``stage_steps``, else in real images."""
        return GrowthSchedule(self.stages, self.stage_steps or self.stage_images)


@MODELS.register("progan")
class ProGAN(AdversarialModel):
    """Progressive GAN (Karras et al. 2018): grows from 4x4 to the image size, fading in."""

    config_class = ProGANConfig
    config: ProGANConfig
    generator: GrowingGenerator
    discriminator: GrowingDiscriminator

    def __init__(self, config: ProGANConfig) -> None:
        super().__init__(config)
        self.register_buffer("images_seen", torch.zeros((), dtype=torch.int64))
        self.register_buffer("d_steps_seen", torch.zeros((), dtype=torch.int64))
        self.sizes = stage_sizes(tuple(config.image_size), config.stages)
        self.images_per_step = 0  # the global batch; set by training_phases
        self.finished_stage: int | None = None  # set when a step ends a stage, for the grid

    def _widths(self) -> list[int]:
        c = self.config
        return stage_channels(c.stages, c.max_channels, c.min_channels)

    def build_generator(self) -> GrowingGenerator:
        c = self.config
        return GrowingGenerator(
            c.z_dim, c.in_channels, tuple(c.image_size), c.stages, self._widths()
        )

    def build_discriminator(self) -> GrowingDiscriminator:
        c = self.config
        return GrowingDiscriminator(
            c.in_channels, tuple(c.image_size), c.stages, self._widths(), c.mbstd_group
        )

    # --- the growth clock ------------------------------------------------------------------
    @property
    def clock(self) -> int:
        """Discriminator steps with ``stage_steps``, else real images shown to it."""
        counter = self.d_steps_seen if self.config.stage_steps else self.images_seen
        return int(counter.item())

    def growth(self) -> Growth:
        """The stage and alpha at the current clock (a pure function of it)."""
        return self.config.schedule.at(self.clock)

    def _grow(self) -> Growth:
        """Point both networks at the clock's stage and alpha; every entry point calls it."""
        growth = self.growth()
        self.generator.set_growth(growth.stage, growth.alpha)
        self.discriminator.set_growth(growth.stage, growth.alpha)
        return growth

    def advance_clock(self) -> None:
        """After a discriminator step: count its images and the step; note a finished stage."""
        before = self.growth().stage
        self.images_seen += self.images_per_step
        self.d_steps_seen += 1
        if self.growth().stage > before:
            self.finished_stage = before

    def _upscale_factor(self, stage: int) -> int:
        return 2 ** (self.config.stages - 1 - stage)

    def reals_at(self, images: Tensor, growth: Growth) -> Tensor:
        r"""Images at the stage's resolution: ``x_s = down(x)`` (average pooling by
        ``2^(S-1-s)``), and while stage s fades in ``(1 - alpha) up(down_2(x_s)) + alpha x_s``,
        the same blend the generator's output goes through."""
        x = downscale(images, self._upscale_factor(growth.stage))
        if growth.fading:
            x = torch.lerp(upscale(downscale(x, 2), 2), x, growth.alpha)
        return x

    def _at_stage(self, batch: Batch) -> Batch:
        return {**batch, "images": self.reals_at(batch["images"], self._grow())}

    # --- the generative interface ----------------------------------------------------------
    def decode(self, z: Tensor) -> Tensor:
        """Noise -> images in [0, 1] at the full size: the current stage's output, upsampled
        by repeating pixels (nearest neighbour) until the last stage is reached, so before the
        final stage the samples are blocky."""
        growth = self._grow()
        return (upscale(self.generator(z), self._upscale_factor(growth.stage)) + 1.0) / 2.0

    @torch.no_grad()
    def stage_samples(self, n: int, stage: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples of ``stage`` (alpha = 1) in [0, 1], upscaled to the full size for
        display (each pixel a ``2^(S-1-stage)`` square)."""
        fake = self.generator(self.sample_latent(n, generator), stage=stage, alpha=1.0)
        return ((upscale(fake, self._upscale_factor(stage)) + 1.0) / 2.0).clamp_(0.0, 1.0)

    def discriminate(self, images: Tensor) -> Tensor:
        """Raw scores of full-size images in [0, 1], seen at the current stage's resolution."""
        return super().discriminate(self.reals_at(images, self._grow()))

    # --- training --------------------------------------------------------------------------
    def discriminator_loss(self, batch: Batch) -> LossOutput:
        """L_D (with drift and gradient penalty) at the current stage; logs stage and alpha."""
        growth = self._grow()
        out = super().discriminator_loss(self._at_stage(batch))
        out.logs.update(stage=float(growth.stage), alpha=growth.alpha)
        return out

    def generator_loss(self, batch: Batch) -> LossOutput:
        return super().generator_loss(self._at_stage(batch))

    @torch.no_grad()
    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        return super().evaluation_losses(self._at_stage(batch))

    def training_phases(self, train: TrainConfig) -> list[Phase]:
        """The base's phases; the discriminator's step also advances the growth clock by the
        global batch (``--batch-size``) and one step."""
        self.images_per_step = train.batch_size
        d_phase, g_phase = super().training_phases(train)
        clip = d_phase.after_step

        def after_discriminator_step() -> None:
            if clip is not None:
                clip()
            self.advance_clock()

        return [dataclasses.replace(d_phase, after_step=after_discriminator_step), g_phase]

    def callbacks(self) -> list[Callback]:
        return [StageGrids(self)]


class StageGrids:
    """A sample grid per stage at ``RUN/images/stages/stage-S-HxW.png``: written when stage S
    ends (before the next one fades in) and, for the stage in progress, at each epoch's end and
    at the last step of a ``--max-steps`` run; stage S's samples are shown upscaled to the full
    size, from the same noise every time."""

    def __init__(self, model: ProGAN) -> None:
        self.model = model

    def _write(self, trainer: RunningTrainer, stage: int) -> None:
        h, w = self.model.sizes[stage]
        trainer.write_grids(
            lambda generator: {
                "stages": self.model.stage_samples(trainer.cfg.grid_size, stage, generator)
            },
            f"stage-{stage}-{h}x{w}.png",
        )

    def on_step_end(self, trainer: RunningTrainer) -> None:
        stage, self.model.finished_stage = self.model.finished_stage, None
        if stage is not None:
            self._write(trainer, stage)
        if trainer.cfg.max_steps is not None and trainer.progress.step >= trainer.cfg.max_steps:
            self._write(trainer, self.model.growth().stage)

    def on_epoch_end(self, trainer: RunningTrainer) -> None:
        self._write(trainer, self.model.growth().stage)

    def after_checkpoint(self, trainer: RunningTrainer, checkpoint: object) -> None:
        return None
