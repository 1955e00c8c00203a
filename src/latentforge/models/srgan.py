"""``srgan``: photo-realistic single-image super-resolution (Ledig et al. 2017,
https://arxiv.org/abs/1609.04802).

    latentforge train srgan --data sample                    # 7x7 -> 28x28 Fashion-MNIST (x4)
    latentforge train srgan --data orl-faces --data-dir DIR  # 28x23 -> 112x92 faces (x4)
    latentforge upscale runs/srgan small.png -o big.png

The low-resolution input is made inside the model from each training image: the mean of each
r x r block (``--downscale area``) or antialiased bicubic resampling (``bicubic``); the image
sides must be multiples of r (112x92 faces: 28x23 at r = 4). The generator is SRResNet
(:class:`~latentforge.nn.sr_nets.SRResNet`: residual blocks, sub-pixel upsampling); the
discriminator is a DCGAN-style stack of stride-2 convolutions with a linear head (the paper's
has stride-1 convolutions between them and a 1024-unit hidden layer). The generator loss is

    L_G = MSE(G(y), x) + feature_weight * L_feat(G(y), x) + adversarial_weight * L_adv

in [-1, 1] pixel units, with ``adversarial_weight`` 1e-3 as in the paper and L_feat the
relative feature error of :func:`~latentforge.losses.perceptual.feature_loss` from the
``--feature-extractor``: ``discriminator`` (default: the activations of the discriminator's
convolutions, learned on the same data, no download), ``random`` (a fixed random network),
``vgg19`` (ImageNet VGG19, the paper's choice; weights from disk) or ``none``.
``--adversarial-weight 0 --feature-extractor none`` trains SRResNet on MSE alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from latentforge.config import require
from latentforge.errors import ConfigError
from latentforge.losses.perceptual import (
    VGG19_LAYERS,
    RandomFeatures,
    VGG19Features,
    feature_loss,
    layer_outputs,
)
from latentforge.models.base import MODELS
from latentforge.models.capabilities import Upscales
from latentforge.models.restoration import Degraded, RestorationConfig, RestorationGAN
from latentforge.nn.gan_nets import DCGANDiscriminator
from latentforge.nn.norms_activations import NORMS
from latentforge.nn.sr_nets import DOWNSCALE_MODES, SR_FACTORS, SRResNet, downscale
from latentforge.registry import Registry

FeatureNet = Callable[[Tensor], list[Tensor]]
FEATURE_EXTRACTORS: Registry[Callable[[SRGAN], FeatureNet | None]] = Registry("feature extractor")
"""``--feature-extractor`` names: ``builder(model) -> network`` (images in [0, 1] -> feature
maps), or ``None`` for no feature loss."""


def _discriminator_features(model: SRGAN) -> FeatureNet:
    layers = getattr(model.discriminator, "features", None)
    if not isinstance(layers, nn.Sequential):
        raise ConfigError(
            "--feature-extractor discriminator needs a discriminator with a `features` "
            "nn.Sequential (the built-in one has it); choose random, vgg19 or none"
        )
    return lambda images: layer_outputs(layers, images * 2.0 - 1.0)


FEATURE_EXTRACTORS.add("discriminator", _discriminator_features)
FEATURE_EXTRACTORS.add("random", lambda model: RandomFeatures(model.config.in_channels))
FEATURE_EXTRACTORS.add(
    "vgg19", lambda model: VGG19Features(model.config.vgg_weights, model.config.vgg_layer)
)
FEATURE_EXTRACTORS.add("none", lambda model: None)


@dataclasses.dataclass
class SRGANConfig(RestorationConfig):
    """SRResNet generator (``width`` channels, ``blocks`` residual blocks) for ``factor`` x
    super-resolution, a convolutional discriminator and the SRGAN loss."""

    factor: int = 4
    downscale: str = "area"
    width: int = 64
    blocks: int = 16
    g_norm: str = "batch"
    bicubic_skip: bool = True
    feature_extractor: str = "discriminator"
    feature_weight: float = 0.1
    vgg_weights: str | None = None
    vgg_layer: str = "relu5_4"

    option_help: ClassVar[dict[str, str]] = {
        **RestorationConfig.option_help,
        "factor": "upscaling factor r: 2, 4 or 8 (image sides must be multiples of it)",
        "downscale": "how the low-resolution input is made: area (block means) or bicubic",
        "width": "generator feature channels (64 in the paper)",
        "blocks": "generator residual blocks (16 in the paper)",
        "g_norm": "normalisation in the residual blocks: batch, instance, group or none",
        "bicubic_skip": "add the bicubic upscaling of the input to the generator's output",
        "feature_extractor": "network of the feature loss: discriminator, random, vgg19 or none",
        "feature_weight": "weight of the relative feature error in the content loss",
        "vgg_weights": "path of torchvision's vgg19-dcbb9e9d.pth (default: torch hub's cache)",
        "vgg_layer": "VGG19 layer of the feature loss: relu2_2 or relu5_4",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            self.factor in SR_FACTORS, f"--factor must be one of {SR_FACTORS}, got {self.factor}"
        )
        h, w = self.image_size
        require(
            h % self.factor == 0 and w % self.factor == 0,
            f"{h}x{w} images cannot be downscaled by --factor {self.factor}: both sides must be "
            f"multiples of it; resize with --image-size (e.g. {h - h % self.factor or self.factor},"
            f"{w - w % self.factor or self.factor}) or choose another --factor",
        )
        require(
            self.downscale in DOWNSCALE_MODES,
            f"--downscale must be one of {', '.join(DOWNSCALE_MODES)}, got {self.downscale!r}",
        )
        require(self.width >= 1 and self.blocks >= 0, "--width must be >= 1 and --blocks >= 0")
        require(
            self.g_norm in NORMS, f"--g-norm must be one of {', '.join(NORMS)}, got {self.g_norm!r}"
        )
        require(
            self.feature_extractor in FEATURE_EXTRACTORS,
            f"--feature-extractor must be one of {', '.join(FEATURE_EXTRACTORS.names())}, "
            f"got {self.feature_extractor!r}",
        )
        require(
            self.feature_weight >= 0, f"--feature-weight must be >= 0, got {self.feature_weight}"
        )
        require(
            not (self.feature_extractor == "discriminator" and self.adversarial_weight == 0)
            or self.feature_weight == 0,
            "--feature-extractor discriminator needs a trained discriminator, and "
            "--adversarial-weight 0 trains none: use --feature-extractor random, vgg19 or none",
        )
        require(
            self.vgg_layer in VGG19_LAYERS,
            f"--vgg-layer must be one of {', '.join(VGG19_LAYERS)}, got {self.vgg_layer!r}",
        )


@MODELS.register("srgan")
class SRGAN(RestorationGAN, Upscales):
    """Super-resolution GAN (Ledig et al. 2017): SRResNet generator, sub-pixel upsampling."""

    config_class = SRGANConfig
    config: SRGANConfig

    def __init__(self, config: SRGANConfig, **networks: nn.Module) -> None:
        super().__init__(config, **networks)
        self._features: FeatureNet | None = None  # built by prepare_training; never saved

    @property
    def low_res_size(self) -> tuple[int, int]:
        h, w = self.config.image_size
        return (h // self.config.factor, w // self.config.factor)

    def build_generator(self) -> nn.Module:
        c = self.config
        return SRResNet(c.in_channels, c.factor, c.width, c.blocks, c.g_norm, c.bicubic_skip)

    def build_discriminator(self) -> nn.Module:
        c = self.config
        return DCGANDiscriminator(c.in_channels, c.image_size, c.d_channels, c.d_norm, 4)

    # --- restoring ---------------------------------------------------------------------------
    def degrade(self, images: Tensor, generator: torch.Generator | None = None) -> Degraded:
        low = downscale(images, self.config.factor, self.config.downscale)
        return {"low_res": low * 2.0 - 1.0}

    def restore(self, degraded: Degraded) -> Tensor:
        return self.generator(degraded["low_res"])

    @property
    def scale(self) -> int:
        """How many times larger each side of an upscaled image is (``--factor``)."""
        return self.config.factor

    @torch.no_grad()
    def upscale(self, low_res: Tensor) -> Tensor:
        """Low-resolution images ``(N, C, h, w)`` in [0, 1], any h and w -> ``(N, C, r h, r w)``
        in [0, 1]."""
        if low_res.ndim != 4 or low_res.shape[1] != self.config.in_channels:
            raise ConfigError(
                f"upscale needs images (N, {self.config.in_channels}, h, w), got "
                f"{tuple(low_res.shape)}"
            )
        return self._to_unit(self.generator(low_res * 2.0 - 1.0))

    translate = upscale

    def show_input(self, degraded: Degraded) -> Tensor:
        low = (degraded["low_res"] + 1.0) / 2.0
        return F.interpolate(low, scale_factor=self.config.factor, mode="nearest").clamp(0, 1)

    # --- the content loss ------------------------------------------------------------------
    def prepare_training(self) -> None:
        """Build the feature network (fails here, before training, if VGG weights are absent)."""
        if self.config.feature_weight > 0:
            net = FEATURE_EXTRACTORS.get(self.config.feature_extractor)(self)
            # kept outside the module tree: not in state_dict, checkpoints or from_pretrained
            object.__setattr__(self, "_features", net)

    def _feature_net(self) -> FeatureNet | None:
        if self.config.feature_weight == 0:
            return None
        if self._features is None:
            self.prepare_training()
        if isinstance(self._features, nn.Module):
            self._features.to(self.device)
        return self._features

    def content_loss(
        self, restored: Tensor, target: Tensor, degraded: Degraded
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``MSE + feature_weight * L_feat`` (pixels in [-1, 1]; features of [0, 1] images)."""
        pixel = F.mse_loss(restored, target)
        net = self._feature_net()
        if net is None:
            return pixel, {"pixel_mse": pixel}
        with torch.no_grad():
            real_features = net((target + 1.0) / 2.0)
        features = feature_loss(net((restored + 1.0) / 2.0), real_features)
        return pixel + self.config.feature_weight * features, {
            "pixel_mse": pixel,
            "feature": features,
        }
