"""Gradient penalty and weight clipping against closed forms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentforge.errors import ConfigError, ShapeError
from latentforge.losses import gradient_penalty, weight_clipping_


def _linear_critic(w: list[float]) -> nn.Module:
    """D(x) = <w, flatten(x)> + b on (N, 1, 2, 2) images: its input gradient is w everywhere."""
    linear = nn.Linear(4, 1).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([w], dtype=torch.float64))
        linear.bias.fill_(0.7)
    return nn.Sequential(nn.Flatten(), linear)


def _images(seed: int, n: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(2, n, 1, 2, 2, generator=gen, dtype=torch.float64).unbind(0)


def test_penalty_is_zero_for_a_unit_norm_linear_critic() -> None:
    real, fake = _images(0)
    critic = _linear_critic([0.6, 0.0, -0.8, 0.0])  # ||w|| = 1
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-12)


def test_penalty_of_a_linear_critic_and_its_gradient() -> None:
    real, fake = _images(1)
    critic = _linear_critic([1.0, 2.0, 2.0, 0.0])  # ||w|| = 3
    penalty = gradient_penalty(critic, real, fake, weight=10.0)
    assert penalty.item() == pytest.approx(10.0 * (3.0 - 1.0) ** 2)  # lambda (||w|| - 1)^2
    penalty.backward()
    # d/dw lambda (||w|| - 1)^2 = 2 lambda (||w|| - 1) w / ||w|| = 2 * 10 * 2 * w / 3
    linear = critic[1]
    expected = 2 * 10.0 * 2.0 * torch.tensor([[1.0, 2.0, 2.0, 0.0]], dtype=torch.float64) / 3
    assert torch.allclose(linear.weight.grad, expected)
    assert linear.bias.grad is None or torch.all(linear.bias.grad == 0)


def test_penalty_uses_per_sample_interpolates_from_the_generator() -> None:
    # D(x) = 0.5 ||x||^2 per sample has gradient x, so the penalty is
    # lambda * mean_n (||x_hat_n|| - 1)^2 with x_hat = eps * real + (1 - eps) * fake.
    real, fake = _images(2, n=6)

    def critic(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x.square().flatten(1).sum(1)

    eps = torch.rand(6, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    x_hat = eps.view(6, 1, 1, 1) * real + (1 - eps.view(6, 1, 1, 1)) * fake
    expected = 2.5 * (x_hat.flatten(1).norm(dim=1) - 1).square().mean()
    got = gradient_penalty(
        critic, real, fake, weight=2.5, generator=torch.Generator().manual_seed(11)
    )
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)
    again = gradient_penalty(
        critic, real, fake, weight=2.5, generator=torch.Generator().manual_seed(11)
    )
    assert got.item() == again.item()


def test_penalty_trains_the_critic_not_the_generator() -> None:
    gen = torch.Generator().manual_seed(3)
    generator_net = nn.Linear(3, 4)
    critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    fake = generator_net(torch.randn(5, 3, generator=gen))  # still attached to the generator
    real = torch.randn(5, 4, generator=gen)
    penalty = gradient_penalty(critic, real, fake, generator=gen)
    penalty.backward()
    # the penalty reaches the critic's weights only because its input gradient was built
    # with create_graph=True (double backward); the detached fakes keep the generator out
    assert critic[0].weight.grad is not None and critic[0].weight.grad.abs().sum() > 0
    assert critic[2].weight.grad is not None and critic[2].weight.grad.abs().sum() > 0
    assert generator_net.weight.grad is None


def test_penalty_bad_input() -> None:
    critic = _linear_critic([1.0, 0.0, 0.0, 0.0])
    real, fake = _images(4)
    with pytest.raises(ShapeError, match="same shape"):
        gradient_penalty(critic, real, fake[:3])
    with pytest.raises(ConfigError, match="weight"):
        gradient_penalty(critic, real, fake, weight=-1.0)


def test_weight_clipping() -> None:
    layer = nn.Linear(3, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[-0.5, 0.005, 0.02]]))
        layer.bias.fill_(-0.03)
    weight_clipping_(layer, 0.01)
    assert torch.equal(layer.weight, torch.tensor([[-0.01, 0.005, 0.01]]))
    assert torch.equal(layer.bias, torch.tensor([-0.01]))
    assert layer.weight.requires_grad
    with pytest.raises(ConfigError, match="clipping"):
        weight_clipping_(layer, 0.0)
