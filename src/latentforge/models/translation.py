"""What image-to-image models (pix2pix, CycleGAN) share: pair data, ``translate``, ``sample``
from a bank of training sources, validation numbers, grids and the health monitor.

Data: batches of stacked pairs ``(N, 2C, H, W)`` (``latentforge.data.pairs``), split with
``split_pair``; ``in_channels`` of the config is C, the channels of one image. Images are in
[0, 1] outside and [-1, 1] inside, like the other GANs: generators end in tanh.

``translate(images, direction)`` maps ``(N, C, H, W)`` in [0, 1] from one domain to the other
(``"a2b"``: source -> target; CycleGAN also ``"b2a"``). ``sample(n, generator)`` has no prior
to draw from, so it translates ``n`` source images drawn (with ``generator``) from a bank of
the first ``sample_bank`` sources the model saw in training, kept in its buffers (and so in
its checkpoints): the samples are outputs on training inputs, useful for a quick look and for
``latentforge sample``, not a held-out evaluation (for that, ``translate`` test sources).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.data.pairs import LAYOUT, split_pair
from latentforge.errors import ConfigError
from latentforge.metrics.image_quality import per_image_psnr, per_image_ssim
from latentforge.models.adversarial import (
    DISCRIMINATOR,
    GENERATOR,
    AdversarialGameConfig,
)
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import PairedOutputs, Translates
from latentforge.models.image_pool import ImagePool
from latentforge.steps.health import GANHealthMonitor, HealthThresholds
from latentforge.steps.hooks import Monitor
from latentforge.viz.grid import interleave_groups

SSIM_WINDOW = 11
GRID_IMAGES = 32  # per group: four rows of eight


@dataclasses.dataclass
class TranslationConfig(AdversarialGameConfig):
    """A translation game; ``in_channels`` is the channel count of one image (C)."""

    sample_bank: int = 64

    accepted_layouts: ClassVar[tuple[str, ...]] = ("paired",)
    default_data: ClassVar[str] = "edges:sample"  # edge map -> image, from the built-in sample
    option_help: ClassVar[dict[str, str]] = {
        **AdversarialGameConfig.option_help,
        "sample_bank": "training source images kept for sample(n) to translate (0: none)",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.sample_bank >= 0, f"--sample-bank must be >= 0, got {self.sample_bank}")

    @classmethod
    def values_from_data(cls, data: Any) -> dict[str, Any]:
        """One image's shape, from pair data of an accepted layout (else a ``ConfigError``)."""
        layout = data.extra.get(LAYOUT)
        if layout not in cls.accepted_layouts:
            have = f"{layout} image pairs" if layout else "single images"
            raise ConfigError(
                f"this model trains on {' or '.join(cls.accepted_layouts)} image pairs, but "
                f"--data {data.name} gives {have}: use a pair task (edges2fashion, "
                "sneaker2boot) or form (paired:A,B, side-by-side:DIR, unpaired:A,B, "
                "edges:SPEC; see docs/data.md)"
            )
        return {"in_channels": data.channels // 2, "image_size": tuple(data.image_size)}


def to_signed(images: Tensor) -> Tensor:
    """[0, 1] -> [-1, 1]: ``2x - 1``."""
    return images * 2.0 - 1.0


def to_unit(images: Tensor) -> Tensor:
    """[-1, 1] -> [0, 1]: ``(y + 1) / 2``."""
    return (images + 1.0) / 2.0


def signed_pair(batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """A batch of pairs in [0, 1] -> (sources, targets) in [-1, 1]."""
    return split_pair(to_signed(batch["images"]))


@torch.no_grad()
def translation_quality(output: Tensor, target: Tensor, prefix: str = "") -> dict[str, Tensor]:
    """Per-batch means of L1, PSNR (dB) and, for images of at least 11x11, SSIM, for images
    in [0, 1]; keys ``{prefix}l1``, ``{prefix}psnr``, ``{prefix}ssim``."""
    values = {
        f"{prefix}l1": (output - target).abs().mean(),
        f"{prefix}psnr": per_image_psnr(output, target).clamp_max(100.0).mean(),
    }
    if min(target.shape[-2:]) >= SSIM_WINDOW:
        values[f"{prefix}ssim"] = per_image_ssim(output, target).mean().to(target.dtype)
    return values


def mean_logs(*logs: dict[str, Tensor]) -> dict[str, Tensor]:
    """The mean of each key over several log dicts (two discriminators' scores)."""
    return {key: torch.stack([log[key] for log in logs]).mean() for key in logs[0]}


class TranslationModel(GenerativeModel, Translates, PairedOutputs):
    """Base of pix2pix and CycleGAN: a generator per direction (``generator_for``)."""

    directions: ClassVar[tuple[str, ...]] = ("a2b",)
    has_paired_targets: ClassVar[bool] = False
    config: TranslationConfig

    def __init__(self, config: TranslationConfig) -> None:
        super().__init__(config)
        self.source_bank = ImagePool(config.sample_bank, self.image_shape)
        self._last_d_loss: Tensor | None = None
        # when the health monitor warns; change before training to tune it
        self.health_thresholds = HealthThresholds()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.config.in_channels, *self.config.image_size)

    def generator_for(self, direction: str) -> nn.Module:
        raise NotImplementedError

    def check_direction(self, direction: str) -> None:
        if direction not in self.directions:
            raise ConfigError(
                f"a {self.model_type} model translates {' and '.join(self.directions)}, "
                f"not {direction!r}"
            )

    def source_shape(self, direction: str = "a2b") -> tuple[int, int, int]:
        """The ``(C, H, W)`` of the images ``translate`` takes."""
        self.check_direction(direction)
        return self.image_shape

    def translate(self, images: Tensor, direction: str = "a2b") -> Tensor:
        """Images ``(N, C, H, W)`` in [0, 1] -> their translations, same shape, in [0, 1]."""
        self.check_direction(direction)
        return to_unit(self.generator_for(direction)(to_signed(images))).clamp(0.0, 1.0)

    @property
    def data_shape(self) -> tuple[int, int, int]:
        """One data image: a source and a target stacked on the channels, ``(2C, H, W)``."""
        channels, height, width = self.image_shape
        return (2 * channels, height, width)

    @torch.no_grad()
    def paired_outputs(
        self, images: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Pairs ``(N, 2C, H, W)`` in [0, 1] -> (a2b translations of the sources, the targets).

        For pix2pix the targets are the true outputs (``has_paired_targets``); for CycleGAN,
        images of domain B that the sources do not correspond to."""
        sources, targets = split_pair(images)
        return self.translate(sources), targets

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Translations (a2b) of ``n`` training sources drawn from the bank (module doc)."""
        if len(self.source_bank) == 0:
            raise ConfigError(
                f"this {self.model_type} model has no source images to translate: it keeps the "
                "first --sample-bank training sources, and it has not trained (or the bank is "
                "0); call translate(images) on your own images instead"
            )
        return self.translate(self.source_bank.draw(n, generator))

    def remember_sources(self, sources: Tensor) -> None:
        """Keep the first ``sample_bank`` training sources (in [-1, 1]) for ``sample``."""
        self.source_bank.fill(to_unit(sources))

    def loss_ratio_log(self, adversarial: Tensor) -> dict[str, Tensor]:
        """``loss_ratio``: the generators' adversarial loss over the last discriminator loss."""
        if self._last_d_loss is None:
            return {}
        return {"loss_ratio": adversarial.detach() / self._last_d_loss.abs().clamp_min(1e-8)}

    def comparison_grid(self, rows: list[Tensor]) -> Tensor:
        """Groups of images (input, output, target ...) as alternating rows of eight."""
        return interleave_groups([group[:GRID_IMAGES] for group in rows], per_row=8)

    def monitors(self) -> list[Monitor]:
        if not self.config.health_checks or not self.adversarial:
            return []
        return [GANHealthMonitor(DISCRIMINATOR, GENERATOR, self.health_thresholds)]

    @property
    def adversarial(self) -> bool:
        """Whether the model trains discriminators (pix2pix with ``--gan-weight 0`` does not)."""
        return True
