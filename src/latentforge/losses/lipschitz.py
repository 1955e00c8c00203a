r"""Lipschitz constraints for a Wasserstein critic: gradient penalty and weight clipping.

The Wasserstein GAN critic loss estimates the Wasserstein-1 distance only when the critic is
1-Lipschitz. :data:`~latentforge.losses.adversarial.ADVERSARIAL_LOSSES` marks which constraint a
loss needs (``needs_gradient_penalty``, ``needs_weight_clipping``); the model applies it with
these two functions.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from latentforge.errors import ConfigError
from latentforge.losses._checks import require_batched, require_same_shape
from latentforge.utils.seeding import random_like


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""The WGAN-GP gradient penalty (Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028,
    algorithm 1):

    .. math::  \lambda\, \mathbb{E}_{\hat x}\left[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\right],
               \quad \hat x = \epsilon x + (1 - \epsilon)\tilde x,
               \quad \epsilon \sim U[0, 1] \text{ per sample},

    with x the real and x~ the generated images. The gradient norm is taken per sample over
    all its values; for a critic that outputs several scores per sample (a PatchGAN) it is the
    gradient of their sum. ``real`` and ``fake`` are detached, and the gradient is built with
    ``create_graph=True``, so backpropagating the penalty trains the critic's parameters and
    nothing else. Add it to the critic loss (``wasserstein-gp``).

    Args:
        critic: maps a batch ``(N, ...)`` to scores ``(N, ...)``.
        real, fake: batches of the same shape ``(N, ...)``.
        weight: lambda >= 0 (10 in the paper).
        generator: optional ``torch.Generator`` for the interpolation weights epsilon.

    Returns:
        A scalar.
    """
    require_same_shape(real, fake, "real", "fake")
    require_batched(real, "real")
    if weight < 0:
        raise ConfigError(f"gradient penalty weight must be >= 0, got {weight}")
    n = real.shape[0]
    eps = random_like("rand", (n,) + (1,) * (real.ndim - 1), real, generator)  # (N, 1, ..., 1)
    interpolates = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = grads.reshape(n, -1).norm(p=2, dim=1)  # (N, prod(...)) -> (N,)
    return weight * (norms - 1.0).square().mean()


@torch.no_grad()
def weight_clipping_(module: nn.Module, clip: float) -> None:
    r"""Clamp every parameter of ``module`` to [-clip, clip] in place (Arjovsky et al. 2017,
    https://arxiv.org/abs/1701.07875, algorithm 1, c = 0.01 there).

    A crude way to keep the critic K-Lipschitz for some K; call it after each critic step.
    """
    if not clip > 0:
        raise ConfigError(f"weight clipping bound must be > 0, got {clip}")
    for parameter in module.parameters():
        parameter.clamp_(-clip, clip)
