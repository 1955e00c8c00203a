import math

import pytest
import torch

from latentforge.data.base import TensorImageSet
from latentforge.data.split import check_val_fraction, holdout_split, validation_size
from latentforge.errors import ConfigError, DataError


def _numbered(n: int) -> TensorImageSet:
    """Image i is filled with i % 256 and labelled i, so every split can be traced back."""
    images = (torch.arange(n) % 256).to(torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2)
    return TensorImageSet(images.contiguous(), torch.arange(n))


@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(100, 0.1, 10), (60000, 0.1, 6000), (7, 0.5, 4), (3, 0.01, 1)]
)
def test_sizes(n, fraction, n_val):
    assert validation_size(n, fraction) == n_val
    train, val = holdout_split(_numbered(n), fraction, seed=0)
    assert (len(train), len(val)) == (n - n_val, n_val)


def test_parts_are_disjoint_cover_everything_and_keep_order():
    train, val = holdout_split(_numbered(50), 0.2, seed=3)
    train_ids, val_ids = train.labels.tolist(), val.labels.tolist()
    assert sorted(train_ids + val_ids) == list(range(50))
    assert train_ids == sorted(train_ids) and val_ids == sorted(val_ids)
    assert torch.equal(train.images[:, 0, 0, 0], train.labels.to(torch.uint8))


def test_same_seed_same_split_other_seed_other_split():
    first = holdout_split(_numbered(200), 0.25, seed=7)[1].labels
    again = holdout_split(_numbered(200), 0.25, seed=7)[1].labels
    other = holdout_split(_numbered(200), 0.25, seed=8)[1].labels
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    expected = torch.randperm(200, generator=torch.Generator().manual_seed(7))[:50].sort()[0]
    assert torch.equal(first, expected)


def test_zero_fraction_gives_no_validation_split():
    data = _numbered(10)
    train, val = holdout_split(data, 0.0, seed=0)
    assert train is data and val is None


def test_too_few_images_to_hold_out():
    with pytest.raises(DataError, match="val-fraction 0"):
        holdout_split(_numbered(1), 0.5, seed=0)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, math.nan, math.inf, "0.1", True, None])
def test_invalid_fractions(fraction):
    with pytest.raises(ConfigError, match="val_fraction"):
        check_val_fraction(fraction)
