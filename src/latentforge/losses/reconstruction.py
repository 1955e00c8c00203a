r"""Reconstruction losses: per-image negative log-likelihoods of the target under the decoder.

Every loss here is **summed over all non-batch dimensions** (pixels and channels) and
**averaged over the batch**, so it is the per-image negative log-likelihood -log p(x | z)
(up to an additive constant) that the ELBO of a VAE needs (Kingma & Welling 2014,
https://arxiv.org/abs/1312.6114). A per-pixel mean would scale the reconstruction
term by 1/D and silently re-weight it against the KL term.

The registry :data:`RECONSTRUCTION_LOSSES` is what models train with (its per-image
counterpart, with the normalising constants, is :data:`DECODER_NLL`); each entry takes the raw
decoder output (``logits``: any real number per pixel, the image being ``sigmoid(logits)``)
and the target images in [0, 1]:

``"bce"``
    :func:`bce_sum_with_logits` (logits, target): Bernoulli likelihood per pixel,
    -log p(x | z) = -sum_i [x_i log s_i + (1 - x_i) log(1 - s_i)], s = sigmoid(logits).
``"mse"``
    :func:`mse_sum` (sigmoid(logits), target): the decoder output goes through a sigmoid first,
    so the reconstruction lies in [0, 1] like the images, and the loss is ||x - sigmoid(l)||^2.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from latentforge.errors import ShapeError
from latentforge.losses._checks import require_batched, require_same_shape, sum_per_sample
from latentforge.registry import Registry

ReconstructionLoss = Callable[[Tensor, Tensor], Tensor]

RECONSTRUCTION_LOSSES: Registry[ReconstructionLoss] = Registry("reconstruction loss")


def _check_pair(prediction: Tensor, target: Tensor, prediction_name: str) -> None:
    require_same_shape(prediction, target, prediction_name, "target")
    require_batched(target, "target")


def _broadcasts_to(shape: torch.Size, target_shape: torch.Size) -> bool:
    try:
        return torch.broadcast_shapes(shape, target_shape) == target_shape
    except RuntimeError:
        return False


def mse_per_sample(recon: Tensor, target: Tensor) -> Tensor:
    """Squared error summed per image: ``(N, ...) -> (N,)``, ||x_n - x_hat_n||^2."""
    _check_pair(recon, target, "recon")
    return sum_per_sample((recon - target).square())


def mse_sum(recon: Tensor, target: Tensor) -> Tensor:
    r"""Sum of squared errors per image, averaged over the batch (a scalar).

    .. math::  L = \frac{1}{N} \sum_n \sum_i (\hat x_{n,i} - x_{n,i})^2

    This is the negative log-likelihood of a Gaussian decoder up to a factor and a constant:
    with unit variance, -log N(x | x_hat, I) = 0.5 ||x - x_hat||^2 + (D/2) log(2 pi), so
    ``mse_sum = 2 * (nll - (D/2) log(2 pi))``; equivalently ``mse_sum`` is *exactly* the NLL of
    a Gaussian with variance 1/2 minus (D/2) log(pi). Use :func:`gaussian_nll_sum` for the
    full likelihood with any variance.

    Args:
        recon: reconstructions ``(N, ...)``, same shape as ``target``.
        target: targets ``(N, ...)``.
    """
    return mse_per_sample(recon, target).mean()


def bce_per_sample_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Bernoulli negative log-likelihood summed per image: ``(N, ...) -> (N,)``."""
    _check_pair(logits, target, "logits")
    return sum_per_sample(F.binary_cross_entropy_with_logits(logits, target, reduction="none"))


def bce_sum_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    r"""Binary cross-entropy per image, from logits, averaged over the batch (a scalar).

    .. math::  L = -\frac{1}{N} \sum_n \sum_i \left[x_{n,i} \log \sigma(l_{n,i})
               + (1 - x_{n,i}) \log(1 - \sigma(l_{n,i}))\right]

    For binary targets this is exactly the negative log-likelihood of independent Bernoulli
    pixels with means sigmoid(l) (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114,
    appendix C.1). For grey-level targets in [0, 1] it is the usual cross-entropy surrogate,
    which is not a normalised density (see the continuous Bernoulli, Loaiza-Ganem & Cunningham
    2019, https://arxiv.org/abs/1907.06845); its minimum over l is at sigmoid(l) = x but is not
    zero. It is computed from logits (log-sum-exp form), so it is finite for any logit.

    Args:
        logits: decoder outputs before the sigmoid, ``(N, ...)``.
        target: targets in [0, 1], same shape.
    """
    return bce_per_sample_with_logits(logits, target).mean()


def gaussian_nll_sum(mean: Tensor, target: Tensor, logvar: Tensor | float = 0.0) -> Tensor:
    r"""Full Gaussian negative log-likelihood per image, averaged over the batch (a scalar).

    .. math::  L = \frac{1}{N} \sum_n \sum_i \frac12 \left[\frac{(x_{n,i} - \mu_{n,i})^2}
               {\sigma^2_{n,i}} + \log \sigma^2_{n,i} + \log 2\pi\right]

    With ``logvar = 0`` (the default) this is ``0.5 * mse_sum(mean, target) + (D/2) log(2 pi)``,
    D the number of values per image.

    Args:
        mean: decoder means ``(N, ...)``, same shape as ``target``.
        target: targets ``(N, ...)``.
        logvar: log-variance log sigma^2, a number or a tensor broadcastable to ``target``.
    """
    _check_pair(mean, target, "mean")
    logvar = torch.as_tensor(logvar, dtype=mean.dtype, device=mean.device)
    if not _broadcasts_to(logvar.shape, target.shape):
        raise ShapeError(
            f"logvar has shape {tuple(logvar.shape)}, which does not broadcast to the target "
            f"shape {tuple(target.shape)}; pass a number or a tensor broadcastable to the target"
        )
    squared = (target - mean).square()
    per_value = 0.5 * (squared * torch.exp(-logvar) + logvar + math.log(2 * math.pi))
    return sum_per_sample(per_value).mean()


@RECONSTRUCTION_LOSSES.register("bce")
def bce_from_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Registry entry ``"bce"``: :func:`bce_sum_with_logits` on the raw decoder output."""
    return bce_sum_with_logits(logits, target)


@RECONSTRUCTION_LOSSES.register("mse")
def mse_from_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Registry entry ``"mse"``: :func:`mse_sum` of ``sigmoid(logits)`` against the target."""
    return mse_sum(torch.sigmoid(logits), target)


DECODER_NLL: Registry[ReconstructionLoss] = Registry("decoder likelihood")
"""The per-image registry: normalised -log p(x | z) ``(logits, target) -> (N,)`` for each
reconstruction loss, the density the loss is (up to a constant) the negative log of. Likelihood
estimates and per-image scores (a VAE's negative ELBO for anomaly detection) use it."""


@DECODER_NLL.register("bce")
def bernoulli_nll_per_sample(logits: Tensor, target: Tensor) -> Tensor:
    """-log Bernoulli(x | sigmoid(l)) per image; exactly :func:`bce_per_sample_with_logits`."""
    return bce_per_sample_with_logits(logits, target)


@DECODER_NLL.register("mse")
def half_variance_gaussian_nll_per_sample(logits: Tensor, target: Tensor) -> Tensor:
    r"""-log N(x | sigmoid(l), I/2) per image = ||x - sigmoid(l)||^2 + (D/2) log(pi).

    The Gaussian with variance 1/2 is the one whose negative log-density is the ``"mse"`` loss
    plus a constant: -log N(x | m, s^2 I) = ||x - m||^2 / (2 s^2) + (D/2) log(2 pi s^2).
    """
    num_values = target[0].numel()
    return mse_per_sample(torch.sigmoid(logits), target) + 0.5 * num_values * math.log(math.pi)
