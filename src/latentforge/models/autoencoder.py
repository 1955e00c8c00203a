"""Autoencoder: a deterministic code of ``latent_dim`` numbers per image.

loss = reconstruction error (MSE by default, BCE as an option), summed over pixels,
averaged over the batch. An autoencoder has no prior, so ``sample`` draws codes from a
Gaussian fitted to the training codes after each epoch (mean and full covariance).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from latentforge.models.base import MODELS
from latentforge.models.encoder_decoder import EncoderDecoderConfig, EncoderDecoderModel
from latentforge.steps.phases import Batch, LossOutput

LATENT_FIT_IMAGES = 10_000


@dataclasses.dataclass
class AutoencoderConfig(EncoderDecoderConfig):
    reconstruction: str = "mse"


@MODELS.register("ae")
class Autoencoder(EncoderDecoderModel):
    """Convolutional autoencoder (Hinton & Salakhutdinov 2006, https://doi.org/10.1126/science.1127647)."""

    config_class = AutoencoderConfig

    def __init__(self, config: AutoencoderConfig, encoder=None, decoder=None) -> None:
        super().__init__(config, encoder, decoder)
        d = config.latent_dim
        self.register_buffer("latent_mean", torch.zeros(d))
        self.register_buffer("latent_scale_tril", torch.eye(d))

    def encode(self, images: Tensor) -> Tensor:
        return self.encoder_features(images)

    def loss(self, images: Tensor, inputs: Tensor | None = None) -> LossOutput:
        logits = self.decode_logits(self.encode(images if inputs is None else inputs))
        recon = self.reconstruction_loss(logits, images)
        return LossOutput(recon, {"recon": recon.detach()})

    def latent_prior(self) -> tuple[Tensor, Tensor]:
        """The Gaussian fitted to the training codes (see :meth:`fit_latent_gaussian`)."""
        return self.latent_mean, self.latent_scale_tril

    @torch.no_grad()
    def fit_latent_gaussian(
        self, batches: Iterator[Batch], max_images: int = LATENT_FIT_IMAGES
    ) -> None:
        """Fit the mean and covariance of the codes of up to ``max_images`` images."""
        was_training = self.training
        self.eval()
        codes, seen = [], 0
        for batch in batches:
            codes.append(self.encode(batch["images"]).float())
            seen += codes[-1].shape[0]
            if seen >= max_images:
                break
        self.train(was_training)
        z = torch.cat(codes)[:max_images]
        if z.shape[0] < 2:
            return
        mean = z.mean(0)
        cov = torch.cov(z.T).reshape(z.shape[1], z.shape[1])
        jitter = 1e-5 * cov.diagonal().mean().clamp_min(1e-8)
        eye = torch.eye(z.shape[1], device=z.device)
        self.latent_mean.copy_(mean)
        self.latent_scale_tril.copy_(torch.linalg.cholesky(cov + jitter * eye))

    def after_epoch(self, train_batches: Callable[[], Iterator[Batch]]) -> None:
        self.fit_latent_gaussian(train_batches())
