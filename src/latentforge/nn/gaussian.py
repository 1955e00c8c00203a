"""Diagonal Gaussian helpers for latent variables."""

from __future__ import annotations

import torch
from torch import Tensor

from latentforge.utils.seeding import randn


def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I) and sigma = exp(logvar / 2).

    The reparameterization trick (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114):
    the randomness sits in ``eps``, so gradients flow to ``mu`` and ``logvar``.
    """
    eps = randn(tuple(mu.shape), generator, mu.device, mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def split_mean_logvar(params: Tensor) -> tuple[Tensor, Tensor]:
    """``(N, 2D)`` encoder output -> mean ``(N, D)`` and log-variance ``(N, D)``."""
    mu, logvar = params.chunk(2, dim=1)
    return mu, logvar
