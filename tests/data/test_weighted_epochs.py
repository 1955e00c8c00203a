"""Weighted epochs: draws with replacement in proportion to per-image weights, seeded."""

import pytest
import torch

from latentforge.data.base import TensorImageSet
from latentforge.data.batching import epoch_order, epoch_permutation, iterate_batches
from latentforge.errors import DataError, ShapeError


def test_draw_frequencies_follow_the_weights():
    # 4 groups of 5000 images with weights 1, 2, 3, 4: expected shares 0.1 .. 0.4 of 20000 draws
    n = 20_000
    weights = torch.arange(n) // 5000 + 1.0
    order = epoch_order(n, seed=3, epoch=0, weights=weights)
    assert order.shape == (n,)
    counts = torch.bincount(order // 5000, minlength=4).double()
    expected = torch.tensor([0.1, 0.2, 0.3, 0.4]) * n
    sigma = (n * torch.tensor([0.1, 0.2, 0.3, 0.4]) * torch.tensor([0.9, 0.8, 0.7, 0.6])).sqrt()
    assert ((counts - expected).abs() < 5 * sigma).all(), counts


def test_zero_weight_images_are_never_drawn_and_others_repeat():
    weights = torch.zeros(100)
    weights[:10] = 1.0
    order = epoch_order(100, seed=0, epoch=1, weights=weights)
    assert order.max().item() < 10 and len(order) == 100


def test_weighted_draws_depend_on_seed_and_epoch_only():
    weights = torch.rand(500, generator=torch.Generator().manual_seed(0))
    a = epoch_order(500, seed=1, epoch=2, weights=weights)
    torch.manual_seed(12345)  # the global RNG does not matter
    assert torch.equal(a, epoch_order(500, seed=1, epoch=2, weights=weights.double() * 7))
    assert not torch.equal(a, epoch_order(500, seed=1, epoch=3, weights=weights))
    assert not torch.equal(a, epoch_order(500, seed=2, epoch=2, weights=weights))


def test_without_weights_the_epoch_is_the_permutation():
    assert torch.equal(epoch_order(50, 4, 5), epoch_permutation(50, 4, 5))


def test_iterate_batches_serves_the_drawn_images():
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1)
    image_set = TensorImageSet(images, torch.arange(40))
    weights = (torch.arange(40) >= 30).float()
    batches = list(iterate_batches(image_set, 8, seed=0, epoch=0, weights=weights, num_workers=0))
    labels = torch.cat([b["labels"] for b in batches])
    assert len(batches) == 5 and (labels >= 30).all()
    assert torch.equal(labels, epoch_order(40, 0, 0, weights))
    split = [
        list(iterate_batches(image_set, 8, weights=weights, rank=r, world_size=2, num_workers=0))
        for r in (0, 1)
    ]
    together = torch.cat([torch.cat([a["labels"], b["labels"]]) for a, b in zip(*split)])
    assert torch.equal(together, labels)  # two processes share the same global batches


@pytest.mark.parametrize(
    "weights,error,message",
    [
        (torch.ones(9), ShapeError, r"shape \(9,\).*shape \(10,\)"),
        (torch.ones(10, 1), ShapeError, "one weight per training image"),
        (-torch.ones(10), DataError, "non-negative"),
        (torch.zeros(10), DataError, "positive sum"),
        (torch.full((10,), float("nan")), DataError, "finite"),
    ],
)
def test_bad_weights_are_clear_errors(weights, error, message):
    with pytest.raises(error, match=message):
        epoch_order(10, 0, 0, weights)
