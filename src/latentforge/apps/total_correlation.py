"""How dependent the latent coordinates are: correlation and total correlation.

Total correlation (Watanabe 1960, https://doi.org/10.1147/rd.41.0066) is the KL divergence
from a joint density to the product of its marginals, zero exactly when the coordinates are
independent:

    TC(z) = KL(q(z) || prod_d q(z_d)) = sum_d H(z_d) - H(z)     (nats)

Three estimates:

* Gaussian: for z ~ N(m, S), TC = 1/2 (sum_d log S_dd - log det S) = -1/2 log det R with R
  the correlation matrix. It sees only linear (second-order) dependence.
* Aggregate posterior of a VAE, q(z) = 1/N sum_n q(z | x_n) with diagonal Gaussian q(z|x_n)
  (Chen et al. 2018, beta-TCVAE, https://arxiv.org/abs/1802.04942): draw z_i ~ q(z | x_i),
  then log q(z_i) = logsumexp_n log q(z_i | x_n) - log N and likewise per coordinate,
  TC = mean_i [log q(z_i) - sum_d log q(z_id)]. The whole evaluation set is the batch
  (their minibatch-weighted estimate with M = N, where no weights are needed).
* k nearest neighbours: each entropy by the Kozachenko-Leonenko estimator
  H = psi(N) - psi(k) + log V_D + D/N sum_i log eps_i (eps_i the distance from point i to its
  k-th neighbour, V_D the volume of the unit D-ball; Kraskov et al. 2004,
  https://doi.org/10.1103/PhysRevE.69.066138). It sees any dependence but is biased in many
  dimensions; distances do not change under rotation, so two rotations of the same whitened
  codes (PCA and ICA) share the joint term and differ only in their marginals.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import digamma, gammaln
from torch import Tensor

from latentforge.apps.coordinates import code_matrix
from latentforge.errors import ConfigError, DataError, ShapeError
from latentforge.utils.seeding import randn

LOG_2PI = math.log(2.0 * math.pi)


def correlation_matrix(codes: Tensor | np.ndarray) -> np.ndarray:
    """Pearson correlations ``(D, D)`` of the columns of ``(N, D)`` codes."""
    x = code_matrix(codes, min_rows=2)
    std = x.std(0)
    dead = np.flatnonzero(std <= 1e-12 * max(float(std.max()), 1e-300))
    if dead.size:
        raise DataError(
            f"latent dimension(s) {', '.join(map(str, dead[:8]))} never change over these codes; "
            "their correlation is undefined"
        )
    return np.corrcoef(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def gaussian_total_correlation(covariance: np.ndarray | Tensor) -> float:
    """1/2 (sum_d log S_dd - log det S) for a positive definite covariance ``(D, D)``."""
    cov = np.asarray(covariance, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ShapeError(f"a covariance must be square, got {cov.shape}")
    sign, logdet = np.linalg.slogdet(cov)
    diagonal = np.diag(cov)
    if sign <= 0 or (diagonal <= 0).any():
        raise DataError(
            "the covariance is singular (a dead or duplicated dimension); TC is infinite"
        )
    return float(0.5 * (np.log(diagonal).sum() - logdet))


def codes_gaussian_total_correlation(codes: Tensor | np.ndarray) -> float:
    """:func:`gaussian_total_correlation` of the codes' sample covariance (from correlations)."""
    return gaussian_total_correlation(correlation_matrix(codes))


@torch.no_grad()
def aggregate_posterior_total_correlation(
    mu: Tensor,
    logvar: Tensor,
    generator: torch.Generator | None = None,
    chunk: int | None = None,
) -> float:
    """TC of a VAE's aggregate posterior (see the module docstring); ``mu``, ``logvar``:
    ``(N, D)`` of q(z | x_n) over an evaluation set. Costs O(N^2 D): ``chunk`` rows of z at a
    time (default: as many as keep a block near 4 million numbers)."""
    if mu.shape != logvar.shape or mu.dim() != 2:
        raise ShapeError(
            f"mu and logvar must both be (N, D), got {tuple(mu.shape)}, {tuple(logvar.shape)}"
        )
    n = mu.shape[0]
    if n < 2:
        raise DataError("the aggregate posterior needs at least 2 encoded images")
    chunk = max(1, 4_000_000 // (n * mu.shape[1])) if chunk is None else chunk
    if chunk < 1:
        raise ConfigError(f"chunk must be >= 1, got {chunk}")
    mu, logvar = mu.double().cpu(), logvar.double().cpu()
    eps = randn(tuple(mu.shape), generator, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps  # z_i ~ q(z | x_i)
    inv_var = torch.exp(-logvar)  # (N, D)
    log_n = math.log(n)
    tc = 0.0
    for start in range(0, n, chunk):
        zc = z[start : start + chunk].unsqueeze(1)  # (c, 1, D)
        # log q(z_id | x_n) for every pair: (c, N, D)
        log_q = -0.5 * (LOG_2PI + logvar + (zc - mu).square() * inv_var)
        joint = torch.logsumexp(log_q.sum(2), dim=1) - log_n  # (c,)
        marginals = (torch.logsumexp(log_q, dim=1) - log_n).sum(1)  # (c,)
        tc += float((joint - marginals).sum())
    return tc / n


def _kth_neighbour_distances(x: Tensor, k: int, chunk: int = 1024) -> Tensor:
    """Euclidean distance from each row of ``(N, D)`` to its k-th nearest other row."""
    out = []
    for start in range(0, x.shape[0], chunk):
        d = torch.cdist(x[start : start + chunk], x)  # (c, N)
        out.append(d.topk(k + 1, dim=1, largest=False).values[:, k])  # [:, 0] is the point
    return torch.cat(out)


def knn_entropy(samples: Tensor | np.ndarray, k: int = 3) -> float:
    """Kozachenko-Leonenko entropy (nats) of ``(N, D)`` samples from a continuous density."""
    x = torch.from_numpy(code_matrix(samples, min_rows=2))
    n, d = x.shape
    if not 1 <= k < n:
        raise ConfigError(f"k must be in [1, N - 1] = [1, {n - 1}], got {k}")
    eps = _kth_neighbour_distances(x, k).numpy()
    if (eps <= 0).any():
        raise DataError(
            "some codes repeat exactly (zero neighbour distance); the k-NN entropy needs "
            "continuous values"
        )
    log_unit_ball = 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1.0)
    return float(digamma(n) - digamma(k) + log_unit_ball + d * np.log(eps).mean())


def knn_total_correlation(samples: Tensor | np.ndarray, k: int = 3) -> float:
    """sum_d H(z_d) - H(z), each entropy by :func:`knn_entropy`."""
    x = code_matrix(samples, min_rows=2)
    marginals = sum(knn_entropy(x[:, [j]], k) for j in range(x.shape[1]))
    return float(marginals - knn_entropy(x, k))
