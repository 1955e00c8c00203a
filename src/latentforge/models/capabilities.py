"""What a model can do, declared: mixins that callers check with ``isinstance``.

A model states its abilities by the mixins it inherits, and every consumer (evaluation,
apps, the CLI, the explorer) asks ``isinstance(model, Encodes)`` rather than probing for
attribute names. Each mixin lists the methods it promises; the defaults raise
``NotImplementedError`` so a model that declares an ability and forgets a method fails loudly.

=================  =========================================================  ==================
mixin              promises                                                   models
=================  =========================================================  ==================
``Decodes``        ``latent_dim``, ``sample_latent(n)``, ``decode(z)``         ae, vae, dbvae, GANs
``Reconstructs``   ``reconstruct(images)``                                     ae, vae, dbvae,
                                                                              srgan, inpainting
``Encodes``        ``encode(images)``, ``latent_prior()`` (+ both above)       ae, vae, dbvae
``GivesLikelihood`` ``encode_distribution(images)``, ``log_likelihood(x, z)``  vae, dbvae
``Translates``     ``directions``, ``source_shape(d)``, ``translate(x, d)``    pix2pix, cyclegan
``Upscales``       ``scale``, ``upscale(low_res)``                             srgan
``Inpaints``       ``inpaint(images, masks)``, ``masks(n)``                    inpainting
``PairedOutputs``  ``data_shape``, ``has_paired_targets``,                     pix2pix, cyclegan,
                   ``paired_outputs(images)``                                  srgan, inpainting
``Classifies``     ``classify(images)``, ``encode_with_logits(images)``,       dbvae
                   ``is_positive(labels)`` (+ ``Encodes``)
=================  =========================================================  ==================

Images are float tensors in [0, 1], shape ``(N, C, H, W)``; codes are ``(N, latent_dim)``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from latentforge.errors import ConfigError
from latentforge.models.base import model_kind


def capability_names(model: object) -> list[str]:
    """The names of the capabilities ``model`` declares, e.g. ``["Decodes", "Encodes"]``."""
    return [cap.__name__ for cap in CAPABILITIES if isinstance(model, cap)]


def require_capability(model: object, capability: type, lacks: str) -> None:
    """``ConfigError("a <kind> model <lacks>")`` unless ``model`` declares ``capability``;
    ``lacks`` says what is missing and which runs have it ("does not inpaint; use an
    inpainting run")."""
    if not isinstance(model, capability):
        raise ConfigError(f"a {model_kind(model)} model {lacks}")


class Decodes:
    """Maps latent codes to images: ``decode(sample_latent(n))`` is a new image."""

    @property
    def latent_dim(self) -> int:
        raise NotImplementedError

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` codes ``(n, latent_dim)`` from the model's prior."""
        raise NotImplementedError

    def decode(self, z: Tensor) -> Tensor:
        """Codes ``(N, latent_dim)`` -> images ``(N, C, H, W)`` in [0, 1]."""
        raise NotImplementedError


class Reconstructs:
    """Gives back an image for an image: an autoencoder's reconstruction, a restoration."""

    def reconstruct(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` in [0, 1] -> images of the same shape in [0, 1]."""
        raise NotImplementedError


class Encodes(Decodes, Reconstructs):
    """Has an encoder: images -> codes, and a Gaussian that new codes are drawn from."""

    def encode(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` in [0, 1] -> codes ``(N, latent_dim)``."""
        raise NotImplementedError

    def latent_prior(self) -> tuple[Tensor, Tensor]:
        """Mean ``(D,)`` and lower Cholesky factor ``(D, D)`` of the code distribution."""
        raise NotImplementedError


class GivesLikelihood(Encodes):
    """A probabilistic encoder q(z|x) and decoder p(x|z): likelihood estimates apply."""

    def encode_distribution(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of q(z|x), each ``(N, latent_dim)``."""
        raise NotImplementedError

    def log_likelihood(self, images: Tensor, z: Tensor) -> Tensor:
        """log p(x | z) per image, ``(N,)``."""
        raise NotImplementedError


class Translates:
    """Image-to-image translation in one or more named directions (``"a2b"``, ``"b2a"``)."""

    directions: ClassVar[tuple[str, ...]] = ("a2b",)

    def source_shape(self, direction: str = "a2b") -> tuple[int, int, int]:
        """The ``(C, H, W)`` of the images ``translate`` takes."""
        raise NotImplementedError

    def translate(self, images: Tensor, direction: str = "a2b") -> Tensor:
        raise NotImplementedError


class Upscales:
    """Super-resolution: low-resolution images -> images ``scale`` times larger."""

    @property
    def scale(self) -> int:
        raise NotImplementedError

    def upscale(self, low_res: Tensor) -> Tensor:
        raise NotImplementedError


class Inpaints:
    """Fills holes: ``inpaint(images, masks)`` with masks ``(N, 1, H, W)``, 1 = missing."""

    def inpaint(self, images: Tensor, masks: Tensor) -> Tensor:
        raise NotImplementedError

    def masks(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` training-style hole masks ``(n, 1, H, W)``."""
        raise NotImplementedError


class PairedOutputs:
    """Evaluated on (output, target) pairs built from data images of shape ``data_shape``."""

    has_paired_targets: ClassVar[bool] = False

    @property
    def data_shape(self) -> tuple[int, int, int]:
        raise NotImplementedError

    def paired_outputs(
        self, images: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        raise NotImplementedError


class Classifies(Encodes):
    """Also tells a positive class from the rest, from the same encoder (the DB-VAE)."""

    def classify(self, images: Tensor) -> Tensor:
        """Class logits ``(N,)``: sigmoid(logit) is the probability of the positive class."""
        raise NotImplementedError

    def encode_with_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """The code ``(N, latent_dim)`` and the class logit ``(N,)`` in one encoder pass."""
        raise NotImplementedError

    def is_positive(self, labels: Tensor) -> Tensor:
        """Boolean ``(N,)``: which data labels belong to the positive class."""
        raise NotImplementedError


CAPABILITIES: tuple[type, ...] = (
    Decodes,
    Reconstructs,
    Encodes,
    GivesLikelihood,
    Translates,
    Upscales,
    Inpaints,
    PairedOutputs,
    Classifies,
)
