"""Likelihood estimates on a linear Gaussian model, where log p(x) and the ELBO are closed forms.

Model: p(z) = N(0, I), p(x | z) = N(z, s^2 I), so p(x) = N(0, (1 + s^2) I) and the exact
posterior is N(x / (1 + s^2), s^2 / (1 + s^2) I).
"""

from __future__ import annotations

import math

import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics import bits_per_dim, importance_weighted_nll, negative_elbo

S2 = 0.25  # observation variance s^2
LOG_2PI = math.log(2 * math.pi)


def log_likelihood(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log N(x; z, s^2 I) for x (N, *shape) and particles z (N, K, *shape) -> (N, K)."""
    squared = (x.unsqueeze(1) - z).pow(2) / S2 + math.log(2 * math.pi * S2)
    return -0.5 * squared.flatten(2).sum(-1)


def true_nll(x: torch.Tensor, prior_var: float = 1.0) -> torch.Tensor:
    total = prior_var + S2
    return 0.5 * (x.pow(2) / total + math.log(2 * math.pi * total)).flatten(1).sum(-1)


def exact_posterior(x: torch.Tensor, prior_var: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    shrink = prior_var / (prior_var + S2)
    return shrink * x, torch.full_like(x, math.log(S2 * shrink))


def shifted_posterior(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A poor q: the right family, but a mean that ignores half of x and a too-wide variance."""
    return 0.4 * x, torch.zeros_like(x)


def closed_form_negative_elbo(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor):
    # -E_q[log N(x; z, s^2)] = 1/2 sum(((x - m)^2 + v) / s^2 + log 2 pi s^2),
    # KL(N(m, v) || N(0, 1)) = 1/2 sum(m^2 + v - 1 - log v).
    var = logvar.exp()
    reconstruction = 0.5 * (((x - mean).pow(2) + var) / S2 + math.log(2 * math.pi * S2))
    kl = 0.5 * (mean.pow(2) + var - 1.0 - logvar)
    return (reconstruction + kl).flatten(1).sum(-1)


def monte_carlo_standard_error(x, mean, logvar, n_samples: int) -> torch.Tensor:
    """sd of the mean of 1/2 sum (x - z)^2 / s^2 over n_samples draws z ~ N(m, v).

    u = x - z ~ N(x - m, v) has Var(u^2) = 2 v^2 + 4 v (x - m)^2.
    """
    var = logvar.exp()
    per_dim = (2 * var.pow(2) + 4 * var * (x - mean).pow(2)) / (4 * S2**2)
    return (per_dim.flatten(1).sum(-1) / n_samples).sqrt()


def data(n: int = 64, shape: tuple[int, ...] = (3,), seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return math.sqrt(1 + S2) * torch.randn((n, *shape), generator=generator, dtype=torch.float64)


@pytest.mark.parametrize(("k", "batch_k"), [(1, 1), (7, 3), (64, 64), (100, 30)])
def test_exact_posterior_gives_exact_nll_for_any_k(k: int, batch_k: int) -> None:
    x = data()
    got = importance_weighted_nll(
        x, exact_posterior, log_likelihood, k=k, batch_k=batch_k, generator=torch.Generator()
    )
    torch.testing.assert_close(got, true_nll(x), rtol=1e-12, atol=1e-10)


def test_exact_posterior_with_latent_maps_and_a_custom_prior() -> None:
    # Latents shaped (N, 2, 3) and p(z) = N(0, 4 I): the exact posterior still makes every
    # importance weight equal to p(x) = N(0, (4 + s^2) I).
    x = data(shape=(2, 3))

    def log_prior(z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z.pow(2) / 4.0 + math.log(2 * math.pi * 4.0)).flatten(2).sum(-1)

    got = importance_weighted_nll(
        x,
        lambda v: exact_posterior(v, prior_var=4.0),
        log_likelihood,
        k=10,
        batch_k=4,
        log_prior_fn=log_prior,
    )
    torch.testing.assert_close(got, true_nll(x, prior_var=4.0), rtol=1e-12, atol=1e-10)


def test_poor_posterior_bound_tightens_with_k() -> None:
    # Burda et al., Theorem 1: E[NLL_k] >= E[NLL_{k+1}] >= -log p(x). Averaged over 400 points
    # the gaps (about 5, 0.4, 0.04, 0.003 nats for k = 1, 10, 100, 1000 over three seeds) are
    # far apart compared with their noise.
    x = data(n=400, seed=1)
    generator = torch.Generator().manual_seed(2)
    truth = true_nll(x).mean().item()
    gaps = [
        importance_weighted_nll(
            x, shifted_posterior, log_likelihood, k=k, batch_k=250, generator=generator
        )
        .mean()
        .item()
        - truth
        for k in (1, 10, 100, 1000)
    ]
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3] > 0
    assert gaps[3] < 0.05 * gaps[0]


def test_negative_elbo_matches_closed_form_and_bounds_the_nll() -> None:
    x = data(n=32, seed=3)
    for encode in (exact_posterior, shifted_posterior):
        mean, logvar = encode(x)
        expected = closed_form_negative_elbo(x, mean, logvar)
        got = negative_elbo(
            x, encode, log_likelihood, n_samples=4000, batch_k=1000, generator=torch.Generator()
        )
        # Only the reconstruction term is random (the KL is exact): 5 standard errors.
        error = monte_carlo_standard_error(x, mean, logvar, 4000)
        assert ((got - expected).abs() < 5 * error).all()
        assert (expected >= true_nll(x) - 1e-12).all()  # ELBO <= log p(x)
    # With the exact posterior the bound is tight: -ELBO = -log p(x).
    torch.testing.assert_close(closed_form_negative_elbo(x, *exact_posterior(x)), true_nll(x))


def test_negative_elbo_monte_carlo_kl_path_agrees() -> None:
    # Passing the standard normal explicitly uses E_q[log q - log p] instead of the exact KL.
    x = data(n=16, seed=4)

    def log_prior(z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z.pow(2) + LOG_2PI).flatten(2).sum(-1)

    got = negative_elbo(
        x,
        shifted_posterior,
        log_likelihood,
        n_samples=20000,
        batch_k=5000,
        generator=torch.Generator().manual_seed(5),
        log_prior_fn=log_prior,
    )
    mean, logvar = shifted_posterior(x)
    expected = closed_form_negative_elbo(x, mean, logvar)
    # For this q (v = 1), log q - log p = (z^2 - eps^2) / 2 = (m^2 + 2 m eps) / 2: variance m^2
    # per dimension. sd(a + b) <= sd(a) + sd(b) bounds the error of the sum.
    kl_error = (mean.pow(2).sum(-1) / 20000).sqrt()
    bound = 5 * (monte_carlo_standard_error(x, mean, logvar, 20000) + kl_error)
    assert ((got - expected).abs() < bound).all()


def test_same_generator_seed_same_estimate() -> None:
    x = data(n=8, seed=6)

    def run(seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return importance_weighted_nll(
            x, shifted_posterior, log_likelihood, k=20, generator=generator
        )

    torch.testing.assert_close(run(1), run(1), rtol=0, atol=0)
    assert not torch.equal(run(1), run(2))


def test_bits_per_dim_by_hand() -> None:
    assert bits_per_dim(784 * math.log(2) * 1.5, 784) == pytest.approx(1.5)
    torch.testing.assert_close(
        bits_per_dim(torch.tensor([2 * math.log(2)]), 2), torch.tensor([1.0])
    )
    with pytest.raises(ConfigError, match="num_dims"):
        bits_per_dim(1.0, 0)


def test_contract_violations_fail_early() -> None:
    x = data(n=4)
    with pytest.raises(ShapeError, match="log_likelihood_fn"):
        importance_weighted_nll(x, exact_posterior, lambda x, z: log_likelihood(x, z).sum(1), k=3)
    with pytest.raises(ShapeError, match="encode_fn"):
        importance_weighted_nll(x, lambda v: (v, v[:, :1]), log_likelihood, k=3)
    with pytest.raises(ConfigError, match="k must"):
        importance_weighted_nll(x, exact_posterior, log_likelihood, k=0)
