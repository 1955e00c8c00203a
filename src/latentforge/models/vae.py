"""Variational autoencoder (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114).

The encoder gives a Gaussian q(z|x) = N(mu, diag(exp(logvar))) per image; the decoder
gets z = mu + sigma * eps. The loss is the negative ELBO with a weight on the KL term
(beta-VAE, Higgins et al. 2017, https://openreview.net/forum?id=Sy2fzU9gl):

    loss = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)),

the reconstruction term summed over pixels (Bernoulli: BCE; Gaussian: MSE / 2 up to a
constant) and everything averaged over the batch; the KL term in closed form.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor

from latentforge.config import require
from latentforge.losses.divergence import kl_standard_normal
from latentforge.losses.reconstruction import DECODER_NLL
from latentforge.models.base import MODELS
from latentforge.models.capabilities import GivesLikelihood
from latentforge.models.encoder_decoder import EncoderDecoderConfig, EncoderDecoderModel
from latentforge.nn.gaussian import reparameterize, split_mean_logvar
from latentforge.steps.phases import LossOutput


@dataclasses.dataclass
class VAEConfig(EncoderDecoderConfig):
    reconstruction: str = "bce"
    beta: float = 1.0

    option_help: ClassVar[dict[str, str]] = {
        **EncoderDecoderConfig.option_help,
        "beta": "weight of the KL term (beta-VAE when not 1)",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.beta >= 0, f"--beta must be >= 0, got {self.beta}")


@MODELS.register("vae")
class VAE(EncoderDecoderModel, GivesLikelihood):
    """Variational autoencoder (Kingma & Welling 2014); beta-VAE with --beta (Higgins et al. 2017).

    https://arxiv.org/abs/1312.6114. The encoder gives q(z|x) = N(mu, diag sigma^2) and
    z = mu + sigma * eps; the loss is the reconstruction term plus beta * KL(q(z|x) || N(0, I))
    in closed form.
    """

    config_class = VAEConfig
    config: VAEConfig

    @property
    def encoder_outputs(self) -> int:
        return 2 * self.config.latent_dim

    def encode_distribution(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of q(z|x), each ``(N, latent_dim)``."""
        return split_mean_logvar(self.encoder_features(images))

    def encode(self, images: Tensor) -> Tensor:
        """The posterior mean: the code a VAE gives an image without sampling."""
        return self.encode_distribution(images)[0]

    def log_likelihood(self, images: Tensor, z: Tensor) -> Tensor:
        """log p(x | z) per image, shape (N,), for images (N, C, H, W) and codes (N, latent_dim).

        The normalised density the reconstruction loss is the negative log of: Bernoulli
        pixels for ``bce``, a Gaussian of variance 1/2 for ``mse`` (``DECODER_NLL``). Likelihood
        estimates (``latentforge evaluate --metrics nll``) use it with ``encode_distribution``.
        """
        return -DECODER_NLL.get(self.config.reconstruction)(self.decode_logits(z), images)

    def loss(self, images: Tensor, inputs: Tensor | None = None) -> LossOutput:
        mu, logvar = self.encode_distribution(images if inputs is None else inputs)
        z = reparameterize(mu, logvar)
        recon = self.reconstruction_loss(self.decode_logits(z), images)
        kl = kl_standard_normal(mu, logvar).mean()
        loss = recon + self.config.beta * kl
        return LossOutput(loss, {"recon": recon.detach(), "kl": kl.detach()})

    def latent_prior(self) -> tuple[Tensor, Tensor]:
        """The prior p(z) = N(0, I)."""
        d = self.config.latent_dim
        return torch.zeros(d, device=self.device), torch.eye(d, device=self.device)
