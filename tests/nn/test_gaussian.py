"""The reparameterization trick: draws with the posterior's moments, gradients by the formula."""

from __future__ import annotations

import torch
from torch.distributions import Normal

from latentforge.nn.gaussian import reparameterize, split_mean_logvar


def test_draws_have_the_mean_and_variance_of_the_posterior() -> None:
    mu = torch.tensor([[-1.0, 0.5, 3.0]]).expand(20_000, 3)
    logvar = torch.tensor([[0.0, -2.0, 1.0]]).expand(20_000, 3)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), mu[0], atol=0.05)
    assert torch.allclose(z.var(0), logvar[0].exp(), rtol=0.05)


def test_gradients_reach_mu_and_logvar_as_the_formula_says() -> None:
    """z = mu + exp(logvar / 2) eps: dz/dmu = 1 and dz/dlogvar = exp(logvar / 2) eps / 2."""
    mu = torch.tensor([0.3, -1.2], requires_grad=True)
    logvar = torch.tensor([0.4, -0.6], requires_grad=True)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    eps = (z.detach() - mu.detach()) / torch.exp(0.5 * logvar.detach())
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones(2))
    assert torch.allclose(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_a_direct_draw_from_the_posterior_passes_no_gradient() -> None:
    mu = torch.zeros(4, requires_grad=True)
    logvar = torch.zeros(4, requires_grad=True)
    direct = Normal(mu, torch.exp(0.5 * logvar)).sample()
    assert direct.grad_fn is None and not direct.requires_grad
    assert reparameterize(mu, logvar).grad_fn is not None


def test_split_gives_the_first_half_as_mean_and_the_second_as_log_variance() -> None:
    params = torch.arange(12.0).reshape(2, 6)
    mu, logvar = split_mean_logvar(params)
    assert torch.equal(mu, params[:, :3]) and torch.equal(logvar, params[:, 3:])
