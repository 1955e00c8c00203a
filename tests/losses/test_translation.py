"""Translation losses against hand computations and torch's reference L1."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from latentforge.errors import ShapeError
from latentforge.losses import cycle_consistency_loss, identity_loss, l1_loss


def test_l1_loss_is_the_mean_absolute_error() -> None:
    p = torch.tensor([[[[0.0, 1.0], [2.0, -1.0]]]])
    t = torch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]])
    assert l1_loss(p, t).item() == pytest.approx((1 + 0 + 2 + 2) / 4)
    x, y = torch.randn(3, 2, 5, 4), torch.randn(3, 2, 5, 4)
    assert torch.allclose(l1_loss(x, y), F.l1_loss(x, y))


def test_cycle_and_identity_losses_add_the_two_directions() -> None:
    a, b = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    cycled_a = torch.full_like(a, 0.25)  # |0.25 - 0| = 0.25 everywhere
    cycled_b = torch.full_like(b, 0.5)  # |0.5 - 1| = 0.5 everywhere
    assert cycle_consistency_loss(a, cycled_a, b, cycled_b).item() == pytest.approx(0.75)
    assert identity_loss(a, cycled_a, b, cycled_b).item() == pytest.approx(0.75)
    assert cycle_consistency_loss(a, a, b, b).item() == 0.0


def test_translation_losses_reject_mismatched_shapes() -> None:
    with pytest.raises(ShapeError, match="same shape"):
        l1_loss(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5))
