"""GAN losses against values worked out by hand in plain Python."""

from __future__ import annotations

import math

import pytest
import torch

from latentforge.errors import ConfigError
from latentforge.losses import (
    ADVERSARIAL_LOSSES,
    minimax_generator_loss,
    non_saturating_generator_loss,
)

REAL = [0.0, 2.0]
FAKE = [-1.0, 3.0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


# Each entry: (discriminator loss, generator loss) on REAL, FAKE, from the papers' definitions.
HAND = {
    # D maximises log D(x) + log(1 - D(G(z))); G minimises log(1 - D(G(z)))
    "minimax": (
        -_mean(math.log(_sigmoid(r)) for r in REAL)
        - _mean(math.log(1 - _sigmoid(f)) for f in FAKE),
        _mean(math.log(1 - _sigmoid(f)) for f in FAKE),
    ),
    # same D; G minimises -log D(G(z))
    "non-saturating": (
        -_mean(math.log(_sigmoid(r)) for r in REAL)
        - _mean(math.log(1 - _sigmoid(f)) for f in FAKE),
        -_mean(math.log(_sigmoid(f)) for f in FAKE),
    ),
    # mean(f) - mean(r) = (-1 + 3)/2 - (0 + 2)/2 = 0; -mean(f) = -1
    "wasserstein": (0.0, -1.0),
    "wasserstein-gp": (0.0, -1.0),
    # plus the drift 0.001 * mean(r^2) = 0.001 * (0 + 4) / 2 (Karras et al. 2018)
    "wasserstein-gp-drift": (0.002, -1.0),
    # relu(1 - r): [1, 0] -> 1/2; relu(1 + f): [0, 4] -> 2; G: -mean(f) = -1
    "hinge": (2.5, -1.0),
    # 0.5 * mean([(0-1)^2, (2-1)^2]) + 0.5 * mean([1, 9]) = 0.5 + 2.5; G: 0.5 * mean([4, 4])
    "least-squares": (3.0, 2.0),
}


def test_every_registered_loss_has_a_hand_computed_case() -> None:
    assert ADVERSARIAL_LOSSES.names() == sorted(HAND)


@pytest.mark.parametrize("name", sorted(HAND))
def test_losses_by_hand(name: str) -> None:
    loss = ADVERSARIAL_LOSSES.get(name)
    d_expected, g_expected = HAND[name]
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(d_expected, abs=1e-12)
    assert loss.generator_loss(fake).item() == pytest.approx(g_expected, abs=1e-12)


def test_minimax_discriminator_loss_by_hand_numbers() -> None:
    # -log sigmoid(0) = ln 2, -log sigmoid(2) = ln(1 + e^-2); -log(1 - sigmoid(f)) = ln(1 + e^f)
    expected = (math.log(2) + math.log(1 + math.exp(-2))) / 2 + (
        math.log(1 + math.exp(-1)) + math.log(1 + math.exp(3))
    ) / 2
    assert HAND["minimax"][0] == pytest.approx(expected)
    d = ADVERSARIAL_LOSSES.get("minimax").discriminator_loss(torch.tensor(REAL), torch.tensor(FAKE))
    assert d.item() == pytest.approx(expected, rel=1e-6)


def test_real_and_fake_are_averaged_separately() -> None:
    hinge = ADVERSARIAL_LOSSES.get("hinge")
    real, fake = torch.tensor([0.0, 2.0, 4.0]), torch.tensor([-1.0, 3.0])
    # relu(1 - r) = [1, 0, 0] -> 1/3; relu(1 + f) = [0, 4] -> 2
    assert hinge.discriminator_loss(real, fake).item() == pytest.approx(1 / 3 + 2)


def test_patch_scores_are_averaged_over_every_element() -> None:
    wgan = ADVERSARIAL_LOSSES.get("wasserstein")
    real = torch.arange(8.0).view(2, 1, 2, 2)  # mean 3.5
    fake = torch.full((2, 1, 2, 2), -1.0)
    assert wgan.discriminator_loss(real, fake).item() == pytest.approx(-1.0 - 3.5)


def test_log_sigmoid_losses_are_finite_for_extreme_scores() -> None:
    minimax = ADVERSARIAL_LOSSES.get("minimax")
    real, fake = torch.tensor([-1000.0]), torch.tensor([1000.0])
    # -log sigmoid(-1000) ~ 1000 and -log(1 - sigmoid(1000)) ~ 1000
    assert minimax.discriminator_loss(real, fake).item() == pytest.approx(2000.0)
    assert minimax.generator_loss(fake).item() == pytest.approx(-1000.0)
    assert non_saturating_generator_loss(torch.tensor([-1000.0])).item() == pytest.approx(1000.0)


def _generator_gradient(loss, score: float) -> float:
    f = torch.tensor([score], dtype=torch.float64, requires_grad=True)
    loss(f).backward()
    return f.grad.item()


@pytest.mark.parametrize("score", [-3.0, 0.0, 2.5])
def test_generator_gradients_by_hand(score: float) -> None:
    # d/df log(1 - sigmoid(f)) = -sigmoid(f); d/df -log sigmoid(f) = -(1 - sigmoid(f))
    assert _generator_gradient(minimax_generator_loss, score) == pytest.approx(-_sigmoid(score))
    assert _generator_gradient(non_saturating_generator_loss, score) == pytest.approx(
        -(1 - _sigmoid(score))
    )


def test_saturating_generator_gradient_vanishes_when_fakes_are_rejected() -> None:
    # D confidently rejects the fakes: f -> -inf, D(G(z)) = sigmoid(f) -> 0
    saturating = [abs(_generator_gradient(minimax_generator_loss, f)) for f in (-5, -15, -30)]
    non_saturating = [
        abs(_generator_gradient(non_saturating_generator_loss, f)) for f in (-5, -15, -30)
    ]
    assert saturating[0] > saturating[1] > saturating[2]
    assert saturating[2] < 1e-12
    assert all(g == pytest.approx(1.0, abs=1e-2) for g in non_saturating)


def test_constraint_flags() -> None:
    flagged = {
        name: (
            ADVERSARIAL_LOSSES.get(name).needs_gradient_penalty,
            ADVERSARIAL_LOSSES.get(name).needs_weight_clipping,
        )
        for name in ADVERSARIAL_LOSSES
    }
    assert {n for n, (gp, _) in flagged.items() if gp} == {"wasserstein-gp", "wasserstein-gp-drift"}
    assert {n for n, (_, clip) in flagged.items() if clip} == {"wasserstein"}


def test_unknown_name() -> None:
    with pytest.raises(ConfigError, match="hinge"):
        ADVERSARIAL_LOSSES.get("wgan")
