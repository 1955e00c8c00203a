"""Likelihood estimates for latent-variable models, written against callables, not model classes.

For a model p(x, z) = p(x|z) p(z) and a diagonal Gaussian q(z|x) = N(mu(x), diag(exp(logvar(x)))):

    -ELBO(x)  = -E_q[log p(x|z)] + KL(q(z|x) || p(z))                      >= -log p(x)
    NLL_k(x)  = -log (1/k sum_{i=1..k} p(x|z_i) p(z_i) / q(z_i|x)),  z_i ~ q(z|x)

NLL_k is the importance-weighted bound of Burda et al. 2016, "Importance Weighted Autoencoders",
https://arxiv.org/abs/1509.00519: E[NLL_k] >= E[NLL_{k+1}] >= -log p(x), and NLL_k -> -log p(x)
as k grows. With the exact posterior as q every weight equals p(x), so NLL_k is exact for any k.

The callables:

- ``encode_fn(x) -> (mu, logvar)``, each (N, *latent_shape);
- ``log_likelihood_fn(x, z) -> (N, K)``: log p(x | z[:, j]) for x (N, ...) and particles
  z (N, K, *latent_shape). A decoder that takes (batch, *latent_shape) is wrapped as::

      def log_likelihood_fn(x, z):                        # x: (N, C, H, W), z: (N, K, L)
          n, k = z.shape[:2]
          logits = decoder(z.reshape(n * k, -1)).reshape(n, k, *x.shape[1:])
          target = x.unsqueeze(1).expand_as(logits)       # (N, K, C, H, W), no copy
          nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
          return -nll.flatten(2).sum(-1)                  # (N, K)

- ``log_prior_fn(z) -> (N, K)``: log p(z); ``None`` means the standard normal N(0, I).

All estimates are in nats per sample, returned as a tensor (N,); average over a data set
(``.mean().item()``) and convert with :func:`bits_per_dim`. They run under ``torch.no_grad()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from latentforge.errors import ShapeError
from latentforge.metrics._inputs import positive_int

EncodeFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
LogLikelihoodFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LogPriorFn = Callable[[torch.Tensor], torch.Tensor]

_LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over latent dimensions: (N, K, *latent_shape) -> (N, K)."""
    return -0.5 * (z.pow(2) + _LOG_2PI).flatten(2).sum(-1)


def _encode(x: torch.Tensor, encode_fn: EncodeFn) -> tuple[torch.Tensor, torch.Tensor]:
    mu, logvar = encode_fn(x)
    if mu.shape != logvar.shape or mu.ndim < 2 or mu.shape[0] != x.shape[0]:
        raise ShapeError(
            f"encode_fn must return (mu, logvar) of equal shape (N, *latent_shape) with "
            f"N = {x.shape[0]}; got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    return mu, logvar


def _log_weight_batches(
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    log_likelihood_fn: LogLikelihoodFn,
    log_prior_fn: LogPriorFn,
    total: int,
    batch: int,
    generator: torch.Generator | None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield (log p(x|z), log p(z), log q(z|x)), each (N, B), for ``total`` particles in batches.

    z = mu + exp(logvar / 2) * eps with eps ~ N(0, I), so log q(z|x) =
    -1/2 sum (eps^2 + log 2 pi + logvar) exactly, without dividing by sigma again.
    """
    n = x.shape[0]
    std = torch.exp(0.5 * logvar).unsqueeze(1)  # (N, 1, *latent_shape)
    for start in range(0, total, batch):
        count = min(batch, total - start)
        eps = torch.randn(
            (n, count, *mu.shape[1:]), generator=generator, device=mu.device, dtype=mu.dtype
        )  # (N, B, *latent_shape)
        z = mu.unsqueeze(1) + std * eps
        log_q = -0.5 * (eps.pow(2) + _LOG_2PI + logvar.unsqueeze(1)).flatten(2).sum(-1)
        log_lik = log_likelihood_fn(x, z)
        log_prior = log_prior_fn(z)
        for name, value in (("log_likelihood_fn", log_lik), ("log_prior_fn", log_prior)):
            if value.shape != (n, count):
                raise ShapeError(
                    f"{name} must return one value per (sample, particle), shape {(n, count)}; "
                    f"got {tuple(value.shape)}"
                )
        yield log_lik, log_prior, log_q


@torch.no_grad()
def importance_weighted_nll(
    x: torch.Tensor,
    encode_fn: EncodeFn,
    log_likelihood_fn: LogLikelihoodFn,
    k: int = 1000,
    batch_k: int = 100,
    generator: torch.Generator | None = None,
    log_prior_fn: LogPriorFn | None = None,
) -> torch.Tensor:
    """NLL_k(x) = log k - logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)], shape (N,).

    The k particles are drawn ``batch_k`` at a time and merged with a running logsumexp, so
    memory grows with N * batch_k, not N * k (Burda et al. used k = 5000). The estimate is an
    upper bound on -log p(x) in expectation that tightens as k grows. ``generator`` must live on
    the device of ``mu`` (``torch.Generator(device="cuda")`` for a model on the GPU).
    """
    k = positive_int(k, "k")
    batch_k = positive_int(batch_k, "batch_k")
    mu, logvar = _encode(x, encode_fn)
    log_prior_fn = standard_normal_log_prob if log_prior_fn is None else log_prior_fn
    total = torch.full((x.shape[0],), -math.inf, dtype=mu.dtype, device=mu.device)
    for log_lik, log_prior, log_q in _log_weight_batches(
        x, mu, logvar, log_likelihood_fn, log_prior_fn, k, batch_k, generator
    ):
        total = torch.logaddexp(total, torch.logsumexp(log_lik + log_prior - log_q, dim=1))
    return math.log(k) - total


@torch.no_grad()
def negative_elbo(
    x: torch.Tensor,
    encode_fn: EncodeFn,
    log_likelihood_fn: LogLikelihoodFn,
    n_samples: int = 1,
    batch_k: int = 100,
    generator: torch.Generator | None = None,
    log_prior_fn: LogPriorFn | None = None,
) -> torch.Tensor:
    """-ELBO(x) = -E_q[log p(x|z)] + KL(q(z|x) || p(z)), shape (N,), with ``n_samples`` draws.

    With the standard normal prior the KL is exact,
    KL = 1/2 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j) (Kingma & Welling 2014,
    https://arxiv.org/abs/1312.6114, appendix B); with another ``log_prior_fn`` it is estimated
    from the same draws as E_q[log q(z|x) - log p(z)].
    """
    n_samples = positive_int(n_samples, "n_samples")
    batch_k = positive_int(batch_k, "batch_k")
    mu, logvar = _encode(x, encode_fn)
    analytic_kl = log_prior_fn is None
    prior = standard_normal_log_prob if log_prior_fn is None else log_prior_fn
    summed = torch.zeros(x.shape[0], dtype=mu.dtype, device=mu.device)
    for log_lik, log_prior, log_q in _log_weight_batches(
        x, mu, logvar, log_likelihood_fn, prior, n_samples, batch_k, generator
    ):
        summed += (log_lik if analytic_kl else log_lik + log_prior - log_q).sum(dim=1)
    elbo = summed / n_samples
    if analytic_kl:
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(-1)
        elbo = elbo - kl
    return -elbo


def bits_per_dim(nll: float | torch.Tensor, num_dims: int) -> float | torch.Tensor:
    """nll / (D ln 2): a negative log-likelihood in nats per sample -> bits per dimension.

    For 8-bit images scaled to [0, 1] under a continuous density, the likelihood of the
    original 0..255 values is lower by a factor 256^D, i.e. add 8 bits per dimension to compare
    with published numbers; a discrete likelihood (Bernoulli on binarised pixels, or a
    discretised logistic) needs no correction.
    """
    return nll / (positive_int(num_dims, "num_dims") * math.log(2.0))
