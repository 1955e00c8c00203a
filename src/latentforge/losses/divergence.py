r"""Kullback-Leibler divergences: discrete, diagonal Gaussian (closed form) and Monte Carlo.

KL(q || p) = E_q[log q(z) - log p(z)] >= 0, zero only when q = p (Kullback & Leibler 1951,
https://doi.org/10.1214/aoms/1177729694). In a VAE (Kingma & Welling 2014,
https://arxiv.org/abs/1312.6114) the term KL(q(z|x) || N(0, I)) of the ELBO has the closed form
:func:`kl_standard_normal`; :func:`kl_monte_carlo` estimates the divergence between any two
``torch.distributions`` objects when no closed form is at hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, NamedTuple

import torch
from torch import Tensor
from torch.distributions import Distribution, Independent, MultivariateNormal, Normal

from latentforge.errors import ConfigError, ShapeError
from latentforge.losses._checks import require_same_shape, sum_per_sample
from latentforge.utils.seeding import random_like

Reduce = Literal["sum", "none"]


def kl_discrete(p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
    r"""KL(p || q) between probability vectors along ``dim``.

    .. math::  \mathrm{KL}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k}

    with the conventions 0 log(0 / q) = 0 (also for q = 0) and p log(p / 0) = +inf for p > 0:
    the divergence is infinite when q misses an outcome that p can produce. Both terms use
    ``torch.xlogy``, so no epsilon is added and the value is exact; the inputs are not
    renormalised. Gradients with respect to entries where p = 0 are NaN (p log p is not
    differentiable at 0): to learn the distributions, pass logits to :func:`kl_discrete_logits`.

    Args:
        p, q: probabilities (non-negative, summing to 1 along ``dim``), broadcastable shapes.
        dim: the outcome dimension, summed out.

    Returns:
        The broadcast shape without ``dim``.
    """
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=dim)


def kl_discrete_logits(p_logits: Tensor, q_logits: Tensor, dim: int = -1) -> Tensor:
    r"""KL(softmax(a) || softmax(b)) along ``dim``, from finite logits a, b.

    .. math::  \mathrm{KL} = \sum_k \mathrm{softmax}(a)_k
               \left[\log\mathrm{softmax}(a)_k - \log\mathrm{softmax}(b)_k\right]

    The log-probabilities come from ``log_softmax`` (stable for large logits), so the result
    and its gradients are finite even where a probability underflows to 0.
    """
    log_p = torch.log_softmax(p_logits, dim=dim)
    log_q = torch.log_softmax(q_logits, dim=dim)
    return (log_p.exp() * (log_p - log_q)).sum(dim=dim)


def kl_diag_gaussians(
    mu_q: Tensor,
    logvar_q: Tensor,
    mu_p: Tensor | float,
    logvar_p: Tensor | float,
    reduce: Reduce = "sum",
) -> Tensor:
    r"""KL(N(mu_q, diag exp(logvar_q)) || N(mu_p, diag exp(logvar_p))) in closed form.

    Per coordinate (the divergence of independent coordinates is the sum over them):

    .. math::  \mathrm{KL} = \frac12\left[\log\frac{\sigma_p^2}{\sigma_q^2}
               + \frac{\sigma_q^2 + (\mu_q - \mu_p)^2}{\sigma_p^2} - 1\right]

    (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114, appendix B, for p = N(0, I)).
    The variance ratio is computed as exp(logvar_q - logvar_p), so it stays finite where both
    variances are tiny or huge.

    Args:
        mu_q, logvar_q: mean and log-variance of q, same shape ``(..., D)``.
        mu_p, logvar_p: mean and log-variance of p, tensors broadcastable to that or numbers.
        reduce: ``"sum"`` sums over the last dimension (``(..., D) -> (...)``, the KL of the
            D-dimensional diagonal Gaussians); ``"none"`` keeps one value per coordinate.
    """
    require_same_shape(mu_q, logvar_q, "mu_q", "logvar_q")
    if reduce not in ("sum", "none"):
        raise ConfigError(f"reduce must be 'sum' or 'none', got {reduce!r}")
    mu_p = torch.as_tensor(mu_p, dtype=mu_q.dtype, device=mu_q.device)
    logvar_p = torch.as_tensor(logvar_p, dtype=mu_q.dtype, device=mu_q.device)
    per_coordinate = 0.5 * (
        logvar_p
        - logvar_q
        + torch.exp(logvar_q - logvar_p)
        + (mu_q - mu_p).square() * torch.exp(-logvar_p)
        - 1.0
    )
    return per_coordinate.sum(dim=-1) if reduce == "sum" else per_coordinate


def kl_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""KL(N(mu, diag exp(logvar)) || N(0, I)) per sample: ``(N, ...) -> (N,)``.

    .. math::  \mathrm{KL} = -\frac12 \sum_j \left(1 + \log\sigma_j^2 - \mu_j^2
               - \sigma_j^2\right)

    summed over every latent dimension (all dimensions but the batch). This is the KL term
    of the VAE objective (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114, appendix B);
    it is :func:`kl_diag_gaussians` with mu_p = 0 and logvar_p = 0.

    Args:
        mu, logvar: encoder mean and log-variance, same shape ``(N, D)`` or ``(N, C, H, W)``.
    """
    require_same_shape(mu, logvar, "mu", "logvar")
    if mu.ndim < 2:
        raise ShapeError(
            f"mu has shape {tuple(mu.shape)}; pass a batch of latent vectors of shape (N, D)"
        )
    return -0.5 * sum_per_sample(1.0 + logvar - mu.square() - torch.exp(logvar))


class KLEstimate(NamedTuple):
    """A Monte Carlo estimate and its standard error, both of the distributions' batch shape."""

    value: Tensor
    stderr: Tensor


def kl_monte_carlo(
    q: Distribution,
    p: Distribution,
    n_samples: int = 1000,
    generator: torch.Generator | None = None,
) -> KLEstimate:
    r"""Monte Carlo estimate of KL(q || p) with its standard error.

    .. math::  \widehat{\mathrm{KL}} = \frac1S \sum_{s=1}^S \left[\log q(z_s) - \log p(z_s)
               \right], \quad z_s \sim q, \qquad
               \mathrm{se} = \frac{\mathrm{std}_s[\log q(z_s) - \log p(z_s)]}{\sqrt S}

    The estimate is unbiased; the standard error uses the sample standard deviation (S - 1 in
    the denominator). Where q has reparameterized samples, gradients flow through the draws.

    Random draws. ``torch.distributions`` samplers take no generator, so with a ``generator``:

    * ``Normal``, ``MultivariateNormal`` and ``Independent`` wrappers of them are sampled by
      reparameterization from noise drawn with the generator: z = mu + sigma * eps
      (z = mu + L eps for a full covariance with Cholesky factor L); gradients flow to the
      parameters.
    * Any other distribution is sampled with its own ``rsample`` (or ``sample``) under
      ``torch.random.fork_rng``: one seed is drawn from the generator, the global CPU RNG (and
      the current CUDA device's, when CUDA is in use) is seeded with it inside the fork, and the
      global RNG state is restored afterwards. The draws are thus a function of the generator's
      state, and the global RNG is left untouched.

    Without a generator, the distributions sample from the global RNG.

    Args:
        q: the distribution samples come from.
        p: the reference distribution; same event shape, batch shape broadcastable with q's.
        n_samples: S >= 2 draws per batch element.
        generator: optional ``torch.Generator`` for the draws.

    Returns:
        ``KLEstimate(value, stderr)``, each of the broadcast batch shape.
    """
    if n_samples < 2:
        raise ConfigError(f"n_samples must be at least 2 for a standard error, got {n_samples}")
    z = sample_with_generator(q, n_samples, generator)  # (S, *batch_shape, *event_shape)
    log_ratio = q.log_prob(z) - p.log_prob(z)  # (S, *batch_shape)
    stderr = log_ratio.std(dim=0, correction=1) / math.sqrt(n_samples)
    return KLEstimate(log_ratio.mean(dim=0), stderr)


def sample_with_generator(
    dist: Distribution, n: int, generator: torch.Generator | None = None
) -> Tensor:
    """``n`` draws from ``dist``, shape ``(n, *batch_shape, *event_shape)``.

    Reparameterized where the distribution allows it; see :func:`kl_monte_carlo` for how an
    explicit ``generator`` is honoured.
    """
    if generator is None:
        return _sample_global(dist, n)
    if isinstance(dist, Independent):  # same draws as its base; only log_prob differs
        return sample_with_generator(dist.base_dist, n, generator)
    sampler = _GENERATOR_SAMPLERS.get(type(dist))
    if sampler is not None:
        return sampler(dist, n, generator)
    return _sample_forked(dist, n, generator)


def _sample_global(dist: Distribution, n: int) -> Tensor:
    shape = torch.Size((n,))
    return dist.rsample(shape) if dist.has_rsample else dist.sample(shape)


def _sample_normal(dist: Normal, n: int, generator: torch.Generator) -> Tensor:
    eps = random_like("randn", (n, *dist.batch_shape), dist.loc, generator)
    return dist.loc + dist.scale * eps


def _sample_multivariate_normal(
    dist: MultivariateNormal, n: int, generator: torch.Generator
) -> Tensor:
    eps = random_like("randn", (n, *dist.batch_shape, *dist.event_shape), dist.loc, generator)
    # (..., D, D) @ (n, ..., D, 1) -> (n, ..., D, 1) -> (n, ..., D)
    return dist.loc + (dist.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)


_GENERATOR_SAMPLERS: dict[type, Callable[..., Tensor]] = {
    Normal: _sample_normal,
    MultivariateNormal: _sample_multivariate_normal,
}


def _sample_forked(dist: Distribution, n: int, generator: torch.Generator) -> Tensor:
    seed = int(torch.randint(0, 2**62, (), generator=generator, device=generator.device))
    cuda_devices = [torch.cuda.current_device()] if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.default_generator.manual_seed(seed)
        if cuda_devices:
            torch.cuda.manual_seed(seed)  # the current device only
        return _sample_global(dist, n)
