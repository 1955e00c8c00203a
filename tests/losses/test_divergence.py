"""KL divergences against hand computations, scipy and torch.distributions.kl_divergence."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
from torch.distributions import (
    Beta,
    Categorical,
    Independent,
    MultivariateNormal,
    Normal,
    kl_divergence,
)

from latentforge.errors import ConfigError, ShapeError
from latentforge.losses import (
    kl_diag_gaussians,
    kl_discrete,
    kl_discrete_logits,
    kl_monte_carlo,
    kl_standard_normal,
    sample_with_generator,
)

# ---------------------------------------------------------------------------- discrete


def test_kl_discrete_by_hand() -> None:
    # 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5 ln(5/9 * 5) = 0.5 ln(25/9) = ln(5/3)
    got = kl_discrete(torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1]))
    assert got.item() == pytest.approx(math.log(5 / 3))
    # not symmetric: 0.9 ln(0.9/0.5) + 0.1 ln(0.1/0.5) = 0.9 ln 1.8 - 0.1 ln 5
    back = kl_discrete(torch.tensor([0.9, 0.1]), torch.tensor([0.5, 0.5]))
    assert back.item() == pytest.approx(0.9 * math.log(1.8) - 0.1 * math.log(5))


def test_kl_discrete_zero_conventions() -> None:
    # 0 log 0 = 0: KL([1, 0] || [1/2, 1/2]) = 1 * ln 2
    assert kl_discrete(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5])).item() == pytest.approx(
        math.log(2)
    )
    # 0 log(0 / 0) = 0 too
    assert kl_discrete(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])).item() == 0.0
    # q = 0 where p > 0: infinite
    assert kl_discrete(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])).item() == math.inf


def test_kl_discrete_matches_scipy_along_any_dim() -> None:
    gen = torch.Generator().manual_seed(0)
    p = torch.rand(3, 4, 5, generator=gen, dtype=torch.float64)
    q = torch.rand(3, 4, 5, generator=gen, dtype=torch.float64)
    p, q = p / p.sum(1, keepdim=True), q / q.sum(1, keepdim=True)
    expected = stats.entropy(p.numpy(), q.numpy(), axis=1)  # scipy: KL(p || q) in nats
    got = kl_discrete(p, q, dim=1)
    assert got.shape == (3, 5)
    assert torch.allclose(got, torch.from_numpy(expected))


def test_kl_discrete_logits_matches_scipy_and_is_stable() -> None:
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(6, 4, generator=gen, dtype=torch.float64) * 3
    b = torch.randn(6, 4, generator=gen, dtype=torch.float64) * 3
    expected = stats.entropy(a.softmax(-1).numpy(), b.softmax(-1).numpy(), axis=-1)
    assert torch.allclose(kl_discrete_logits(a, b), torch.from_numpy(expected))
    # softmax([1000, 0]) ~ [1, e^-1000] (the second underflows); KL to uniform -> ln 2
    a = torch.tensor([1000.0, 0.0], requires_grad=True)
    kl = kl_discrete_logits(a, torch.zeros(2))
    kl.backward()
    assert kl.item() == pytest.approx(math.log(2))
    assert torch.isfinite(a.grad).all()


def test_kl_discrete_matches_torch_categorical() -> None:
    gen = torch.Generator().manual_seed(2)
    a, b = torch.randn(2, 7, 3, generator=gen)
    expected = kl_divergence(Categorical(logits=a), Categorical(logits=b))
    assert torch.allclose(kl_discrete(a.softmax(-1), b.softmax(-1)), expected, atol=1e-6)


# ---------------------------------------------------------------------------- Gaussian


def test_kl_diag_gaussians_by_hand() -> None:
    # q = N(1, 1), p = N(0, 4): ln(2/1) + (1 + 1)/(2 * 4) - 1/2 = ln 2 - 1/4
    got = kl_diag_gaussians(
        torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([math.log(4)])
    )
    assert got.item() == pytest.approx(math.log(2) - 0.25)


def test_kl_diag_gaussians_matches_torch() -> None:
    gen = torch.Generator().manual_seed(3)
    mu_q, logvar_q, mu_p, logvar_p = torch.randn(4, 5, 3, generator=gen, dtype=torch.float64)

    def normal(mu: torch.Tensor, logvar: torch.Tensor) -> Normal:
        return Normal(mu, torch.exp(0.5 * logvar))

    per_coordinate = kl_divergence(normal(mu_q, logvar_q), normal(mu_p, logvar_p))
    got = kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p, reduce="none")
    assert torch.allclose(got, per_coordinate)
    summed = kl_divergence(
        Independent(normal(mu_q, logvar_q), 1), Independent(normal(mu_p, logvar_p), 1)
    )
    got = kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p, reduce="sum")
    assert got.shape == (5,)
    assert torch.allclose(got, summed)


def test_kl_diag_gaussians_bad_reduce() -> None:
    x = torch.zeros(2, 3)
    with pytest.raises(ConfigError, match="reduce"):
        kl_diag_gaussians(x, x, x, x, reduce="mean")  # type: ignore[arg-type]


def test_kl_standard_normal_by_hand() -> None:
    mu = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(2)], [0.0, 0.0]])
    # row 0: -0.5(1 + 0 - 1 - 1) - 0.5(1 + ln 2 - 0 - 2) = 0.5 + 0.5(1 - ln 2); row 1: 0
    got = kl_standard_normal(mu, logvar)
    assert got.shape == (2,)
    assert got.tolist() == pytest.approx([1 - 0.5 * math.log(2), 0.0])


def test_kl_standard_normal_matches_torch_and_sums_all_latent_dims() -> None:
    gen = torch.Generator().manual_seed(4)
    mu, logvar = torch.randn(2, 3, 2, 2, 2, generator=gen, dtype=torch.float64)  # (N, C, H, W)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 3)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 3)
    assert torch.allclose(kl_standard_normal(mu, logvar), kl_divergence(q, p))
    flat = kl_diag_gaussians(mu.flatten(1), logvar.flatten(1), 0.0, 0.0)  # numbers for p
    assert torch.allclose(kl_standard_normal(mu, logvar), flat)


def test_kl_standard_normal_gradient_vanishes_at_the_prior() -> None:
    mu = torch.zeros(3, 4, requires_grad=True)
    logvar = torch.zeros(3, 4, requires_grad=True)
    kl = kl_standard_normal(mu, logvar).sum()
    kl.backward()
    assert kl.item() == 0.0
    assert torch.equal(mu.grad, torch.zeros(3, 4))
    assert torch.equal(logvar.grad, torch.zeros(3, 4))


def test_kl_standard_normal_shapes() -> None:
    with pytest.raises(ShapeError, match="same shape"):
        kl_standard_normal(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ShapeError, match=r"\(N, D\)"):
        kl_standard_normal(torch.zeros(3), torch.zeros(3))


# ---------------------------------------------------------------------------- Monte Carlo


def _assert_within_stderr(estimate, exact: torch.Tensor, k: float = 4.0) -> None:
    assert estimate.value.shape == exact.shape == estimate.stderr.shape
    assert (estimate.stderr > 0).all()
    assert ((estimate.value - exact).abs() <= k * estimate.stderr).all(), (
        estimate.value,
        exact,
        estimate.stderr,
    )


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_monte_carlo_normal() -> None:
    q = Normal(torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 0.5, 2.0]))
    p = Normal(torch.tensor([0.5, 0.0, 0.0]), torch.tensor([1.0, 2.0, 1.5]))
    _assert_within_stderr(kl_monte_carlo(q, p, 4000, _gen(0)), kl_divergence(q, p))


def test_monte_carlo_independent_normal() -> None:
    gen = _gen(5)
    mu, logvar = torch.randn(2, 3, 4, generator=gen)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros(4), torch.ones(4)), 1)  # batch shape broadcasts
    _assert_within_stderr(kl_monte_carlo(q, p, 4000, _gen(1)), kl_divergence(q, p).expand(3))


def test_monte_carlo_multivariate_normal() -> None:
    q = MultivariateNormal(torch.tensor([1.0, -1.0]), torch.tensor([[2.0, 0.8], [0.8, 1.0]]))
    p = MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, -0.3], [-0.3, 1.5]]))
    _assert_within_stderr(kl_monte_carlo(q, p, 4000, _gen(2)), kl_divergence(q, p))


def test_monte_carlo_fallback_distributions() -> None:
    # Beta: reparameterized but not sampled from noise here (fork_rng path)
    q, p = Beta(torch.tensor([2.0, 0.7]), torch.tensor([3.0, 0.9])), Beta(3.0, 3.0)
    _assert_within_stderr(kl_monte_carlo(q, p, 4000, _gen(3)), kl_divergence(q, p))
    # Categorical: no rsample, plain samples
    q = Categorical(probs=torch.tensor([0.5, 0.5]))
    p = Categorical(probs=torch.tensor([0.9, 0.1]))
    _assert_within_stderr(kl_monte_carlo(q, p, 4000, _gen(4)), torch.tensor(math.log(5 / 3)))


def test_monte_carlo_without_generator_uses_the_global_rng() -> None:
    q, p = Normal(0.0, 1.0), Normal(1.0, 1.0)  # KL = (0 - 1)^2 / 2 = 1/2
    _assert_within_stderr(kl_monte_carlo(q, p, 4000), torch.tensor(0.5))


@pytest.mark.parametrize(
    ("q", "p"),
    [
        (Normal(torch.zeros(2), torch.ones(2)), Normal(1.0, 2.0)),
        (Beta(torch.ones(2), 2 * torch.ones(2)), Beta(2.0, 2.0)),
    ],
    ids=["noise-path", "fork-path"],
)
def test_monte_carlo_draws_follow_the_generator_only(q, p) -> None:
    before = torch.get_rng_state()
    first = kl_monte_carlo(q, p, 50, _gen(7))
    assert torch.equal(torch.get_rng_state(), before)  # global RNG untouched
    torch.manual_seed(123)  # a different global state does not change the draws
    second = kl_monte_carlo(q, p, 50, _gen(7))
    other = kl_monte_carlo(q, p, 50, _gen(8))
    assert torch.equal(first.value, second.value)
    assert not torch.equal(first.value, other.value)


def test_monte_carlo_stderr_predicts_the_spread_of_repeated_estimates() -> None:
    q, p = Normal(0.3, 0.7), Normal(0.0, 1.0)
    gen = _gen(9)
    runs = [kl_monte_carlo(q, p, 100, gen) for _ in range(400)]
    spread = torch.stack([r.value for r in runs]).std().item()
    mean_stderr = torch.stack([r.stderr for r in runs]).mean().item()
    assert mean_stderr == pytest.approx(spread, rel=0.15)


def test_monte_carlo_is_differentiable_through_the_draws() -> None:
    # q = N(mu, 1), p = N(0, 1): log q(z) - log p(z) = mu^2 / 2 + mu * eps for z = mu + eps,
    # so the gradient of the estimate with respect to mu is mu + mean(eps), close to mu.
    mu = torch.tensor(0.8, requires_grad=True)
    estimate = kl_monte_carlo(Normal(mu, 1.0), Normal(0.0, 1.0), 20000, _gen(10))
    estimate.value.backward()
    assert mu.grad.item() == pytest.approx(0.8, abs=0.05)


def test_monte_carlo_needs_two_samples() -> None:
    with pytest.raises(ConfigError, match="n_samples"):
        kl_monte_carlo(Normal(0.0, 1.0), Normal(0.0, 1.0), 1)


def test_sample_with_generator_moments() -> None:
    # the generator paths must reproduce the distributions' first two moments
    cov = torch.tensor([[4.0, 1.5, 0.0], [1.5, 1.0, 0.3], [0.0, 0.3, 0.5]], dtype=torch.float64)
    mvn = MultivariateNormal(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64), cov)
    z = sample_with_generator(mvn, 40000, _gen(12))
    assert z.shape == (40000, 3)
    assert torch.allclose(z.mean(0), mvn.mean, atol=0.05)
    assert torch.allclose(torch.cov(z.T), cov, atol=0.1)
    normal = Independent(Normal(torch.tensor([[0.0, 3.0]]), torch.tensor([[2.0, 0.5]])), 1)
    z = sample_with_generator(normal, 40000, _gen(13))
    assert z.shape == (40000, 1, 2)
    assert torch.allclose(z.mean(0), normal.mean, atol=0.05)
    assert torch.allclose(z.std(0), normal.stddev, atol=0.05)
