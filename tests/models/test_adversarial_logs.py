"""Discriminator statistics for the monitor, against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from latentforge.losses import ADVERSARIAL_LOSSES
from latentforge.models.adversarial import score_logs

REAL = torch.tensor([2.0, -1.0, 0.5, 3.0])
FAKE = torch.tensor([-2.0, 1.0, -0.5, -4.0])


def _logs(name: str) -> dict[str, float]:
    loss = ADVERSARIAL_LOSSES.get(name)
    d_loss = loss.discriminator_loss(REAL, FAKE)
    return {k: float(v) for k, v in score_logs(loss, REAL, FAKE, d_loss).items()}


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_logit_losses_report_probabilities_and_accuracy_at_zero() -> None:
    logs = _logs("non-saturating")
    assert logs["d_real"] == pytest.approx(sum(map(_sigmoid, REAL.tolist())) / 4)
    assert logs["d_fake"] == pytest.approx(sum(map(_sigmoid, FAKE.tolist())) / 4)
    # real above 0: 3 of 4; fake below 0: 3 of 4
    assert logs["accuracy"] == pytest.approx(0.75)
    # chance: every score 0 -> L_D = log 2 + log 2
    d_loss = (
        sum(math.log(1 + math.exp(-r)) for r in REAL.tolist()) / 4
        + sum(math.log(1 + math.exp(f)) for f in FAKE.tolist()) / 4
    )
    assert logs["loss_vs_chance"] == pytest.approx(d_loss / (2 * math.log(2)))
    assert logs["score_scale"] == pytest.approx((6.5 / 4 + 7.5 / 4) / 2)


def test_least_squares_judges_at_one_half() -> None:
    logs = _logs("least-squares")
    # real above 0.5: 2.0, 3.0 -> 1/2; fake below 0.5: -2, -0.5, -4 -> 3/4
    assert logs["accuracy"] == pytest.approx((0.5 + 0.75) / 2)
    assert logs["d_real"] == pytest.approx(REAL.mean().item())  # raw scores
    chance = 0.5 * 0.25 + 0.5 * 0.25  # both at 0.5: 0.5 (0.5 - 1)^2 + 0.5 * 0.5^2
    d_loss = 0.5 * ((REAL - 1) ** 2).mean().item() + 0.5 * (FAKE**2).mean().item()
    assert logs["loss_vs_chance"] == pytest.approx(d_loss / chance)


def test_critics_judge_at_the_midpoint_and_have_no_chance_level() -> None:
    logs = _logs("wasserstein-gp")
    midpoint = (REAL.mean() + FAKE.mean()).item() / 2  # (1.125 - 1.375) / 2 = -0.125
    real_right = (midpoint < REAL).float().mean().item()  # 2, 0.5, 3 -> 3/4
    fake_right = (midpoint > FAKE).float().mean().item()  # -2, -0.5, -4 -> 3/4
    assert logs["accuracy"] == pytest.approx((real_right + fake_right) / 2)
    assert (logs["d_real"], logs["d_fake"]) == pytest.approx((1.125, -1.375))
    assert "loss_vs_chance" not in logs


def test_a_perfect_discriminator_is_always_right() -> None:
    for name in ADVERSARIAL_LOSSES.names():
        loss = ADVERSARIAL_LOSSES.get(name)
        real, fake = torch.full((5,), 10.0), torch.full((5,), -10.0)
        logs = score_logs(loss, real, fake, loss.discriminator_loss(real, fake))
        assert logs["accuracy"].item() == 1.0, name
