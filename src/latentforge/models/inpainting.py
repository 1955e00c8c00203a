"""``inpainting``: fill holes in images (Pathak et al. 2016, "Context Encoders",
https://arxiv.org/abs/1604.07379; Iizuka et al. 2017, "Globally and Locally Consistent Image
Completion", https://doi.org/10.1145/3072959.3073659).

    latentforge train inpainting --data orl-faces --data-dir DIR --pretrain-steps 500
    latentforge inpaint runs/inpainting face.png --mask hole.png -o filled.png

For each training image x the model draws a mask m (1 in the hole; ``--mask`` centre,
rectangles, strokes or mixed, ``--hole-size`` s; see :mod:`latentforge.data.masks`), and the
generator sees the masked image and the mask, concatenated:

    y = (x' (1 - m), m),   x' = 2x - 1 (the hole is 0, mid grey)
    x_hat = m G(y) + (1 - m) x'                     (the given pixels are kept)

The content loss is the squared error inside the hole, averaged over the hole's pixels and
channels (``--recon-loss mse``, as both papers; ``l1`` for the absolute error):

    L_rec = sum m (G(y) - x')^2 / (C sum m)

and the generator minimises L_rec + adversarial_weight * L_adv (1e-3, Pathak et al.'s
lambda_adv; Iizuka et al. use 4e-4). The discriminator is global + local: one network sees the
whole image, one a window of ``--local-size`` times each side centred on the hole, and the
score is the sum of the two (:class:`~latentforge.nn.inpainting_nets.GlobalLocalDiscriminator`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import require
from latentforge.data.masks import MASKS, make_masks
from latentforge.errors import ShapeError
from latentforge.metrics.hole_quality import per_image_hole_psnr
from latentforge.models.base import MODELS
from latentforge.models.capabilities import Inpaints
from latentforge.models.restoration import Degraded, RestorationConfig, RestorationGAN
from latentforge.nn.inpainting_nets import GlobalLocalDiscriminator, InpaintingNet
from latentforge.nn.norms_activations import NORMS

RECON_LOSSES = {"mse": lambda d: d.pow(2), "l1": lambda d: d.abs()}


def hole_loss(restored: Tensor, target: Tensor, masks: Tensor, kind: str = "mse") -> Tensor:
    """``sum m rho(restored - target) / (C sum m)`` with rho the square (mse) or the absolute
    value (l1): the mean error over the hole's pixels and channels."""
    per_pixel = RECON_LOSSES[kind](restored - target) * masks  # masks broadcast over channels
    return per_pixel.sum() / (masks.sum() * restored.shape[1]).clamp_min(1.0)


@dataclasses.dataclass
class InpaintingConfig(RestorationConfig):
    """Completion network with dilated residual blocks; global + local discriminator."""

    mask: str = "mixed"
    hole_size: float = 0.5
    local_size: float = 0.5
    recon_loss: str = "mse"
    g_widths: tuple[int, ...] = (32, 64, 128)
    dilations: tuple[int, ...] = (2, 4, 8)
    g_norm: str = "batch"

    option_help: ClassVar[dict[str, str]] = {
        **RestorationConfig.option_help,
        "mask": "holes to train on: centre, rectangles, strokes or mixed",
        "hole_size": "scale of the holes as a share of the image side (centre: exactly)",
        "local_size": "side of the local discriminator's window as a share of the image side",
        "recon_loss": "error inside the hole: mse or l1",
        "g_widths": "generator encoder channels, from the image side (one halving per extra)",
        "dilations": "dilation of each residual block in the middle of the generator",
        "g_norm": "generator normalisation: batch, instance, group or none",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            self.mask in MASKS,
            f"--mask must be one of {', '.join(MASKS.names())}, got {self.mask!r}",
        )
        require(0 < self.hole_size <= 1, f"--hole-size must be in (0, 1], got {self.hole_size}")
        require(0 < self.local_size <= 1, f"--local-size must be in (0, 1], got {self.local_size}")
        require(
            self.recon_loss in RECON_LOSSES,
            f"--recon-loss must be one of {', '.join(RECON_LOSSES)}, got {self.recon_loss!r}",
        )
        require(
            len(self.g_widths) >= 1 and min(self.g_widths) >= 1,
            f"--g-widths must be positive ints, got {self.g_widths}",
        )
        require(
            len(self.dilations) >= 1 and min(self.dilations) >= 1,
            f"--dilations must be positive ints, got {self.dilations}",
        )
        require(
            self.g_norm in NORMS, f"--g-norm must be one of {', '.join(NORMS)}, got {self.g_norm!r}"
        )

    @property
    def local_window(self) -> tuple[int, int]:
        h, w = self.image_size
        return (max(1, round(self.local_size * h)), max(1, round(self.local_size * w)))


@MODELS.register("inpainting")
class Inpainting(RestorationGAN, Inpaints):
    """Image inpainting GAN (Pathak et al. 2016; Iizuka et al. 2017): masked image + mask in."""

    config_class = InpaintingConfig
    config: InpaintingConfig

    def build_generator(self) -> nn.Module:
        c = self.config
        return InpaintingNet(c.in_channels, c.image_size, c.g_widths, c.dilations, c.g_norm)

    def build_discriminator(self) -> nn.Module:
        c = self.config
        return GlobalLocalDiscriminator(
            c.in_channels, c.image_size, c.local_window, c.d_channels, c.d_norm
        )

    # --- restoring -------------------------------------------------------------------------
    def masks(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` training masks ``(n, 1, H, W)`` of the configured kind, on the model's device."""
        c = self.config
        return make_masks(c.mask, n, c.image_size, c.hole_size, generator, self.device)

    def degrade(self, images: Tensor, generator: torch.Generator | None = None) -> Degraded:
        return self.mask_images(images, self.masks(images.shape[0], generator))

    def mask_images(self, images: Tensor, masks: Tensor) -> Degraded:
        """The generator's inputs for images in [0, 1] and masks (1 = hole)."""
        expected = (images.shape[0], 1, *images.shape[-2:])
        if tuple(masks.shape) != expected:
            raise ShapeError(
                f"masks must be {expected} for images {tuple(images.shape)}, "
                f"got {tuple(masks.shape)}"
            )
        masks = masks.to(images)
        return {"masked": (images * 2.0 - 1.0) * (1.0 - masks), "mask": masks}

    def restore(self, degraded: Degraded) -> Tensor:
        masked, masks = degraded["masked"], degraded["mask"]
        generated = self.generator(torch.cat([masked, masks], dim=1))  # (N, C + 1, H, W) in
        return masks * generated + masked  # masked is 0 in the hole: the given pixels stay

    @torch.no_grad()
    def inpaint(self, images: Tensor, masks: Tensor) -> Tensor:
        """Fill the holes (``masks`` 1) of images in [0, 1]: ``(N, C, H, W)`` in [0, 1]."""
        if tuple(images.shape[1:]) != (self.config.in_channels, *self.config.image_size):
            raise ShapeError(
                f"this model fills {self.config.in_channels}-channel images of "
                f"{self.config.image_size[0]}x{self.config.image_size[1]}, "
                f"got {tuple(images.shape[1:])}"
            )
        return self._to_unit(self.restore(self.mask_images(images, masks)))

    def translate(self, images: Tensor, masks: Tensor | None = None) -> Tensor:
        """:meth:`inpaint` with ``masks``, or with masks drawn from the global RNG."""
        return self.inpaint(images, self.masks(images.shape[0]) if masks is None else masks)

    def score(self, images: Tensor, degraded: Degraded) -> Tensor:
        return self.discriminator(images, degraded["mask"])

    def show_input(self, degraded: Degraded) -> Tensor:
        masks = degraded["mask"]
        return (degraded["masked"] + 1.0) / 2.0 * (1.0 - masks) + masks  # holes shown white

    # --- losses ------------------------------------------------------------------------------
    def content_loss(
        self, restored: Tensor, target: Tensor, degraded: Degraded
    ) -> tuple[Tensor, dict[str, Tensor]]:
        loss = hole_loss(restored, target, degraded["mask"], self.config.recon_loss)
        return loss, {f"hole_{self.config.recon_loss}": loss}

    def quality(self, restored: Tensor, images: Tensor, degraded: Degraded) -> dict[str, Tensor]:
        """PSNR inside the hole (dB, per image, averaged)."""
        psnr = per_image_hole_psnr(restored, images, degraded["mask"])
        return {"hole_psnr": psnr.clamp_max(100.0).mean()}
