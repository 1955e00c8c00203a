"""Hole masks: sizes, bounds, seeding, and the local discriminator's window."""

from __future__ import annotations

import pytest
import torch

from latentforge.data.masks import MASKS, crop_windows, hole_windows, make_masks
from latentforge.errors import ConfigError, ShapeError

SIZE = (20, 16)


def test_the_centre_mask_is_the_centred_rectangle_of_the_hole_size() -> None:
    masks = make_masks("centre", 3, SIZE, 0.5)
    expected = torch.zeros(3, 1, *SIZE)
    expected[:, :, 5:15, 4:12] = 1.0  # round(0.5 * 20) = 10 rows, 8 columns, centred
    torch.testing.assert_close(masks, expected)


@pytest.mark.parametrize("kind", ["rectangles", "strokes", "mixed"])
def test_random_masks_are_binary_seeded_and_never_empty(kind) -> None:
    first = make_masks(kind, 64, SIZE, 0.5, torch.Generator().manual_seed(3))
    again = make_masks(kind, 64, SIZE, 0.5, torch.Generator().manual_seed(3))
    other = make_masks(kind, 64, SIZE, 0.5, torch.Generator().manual_seed(4))
    assert first.shape == (64, 1, *SIZE)
    assert set(first.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(first, again)
    assert not torch.equal(first, other)
    assert bool(first.flatten(1).amax(1).all())  # every mask has a hole


def test_masks_from_the_global_rng_follow_torch_manual_seed() -> None:
    torch.manual_seed(7)
    first = make_masks("rectangles", 8, SIZE)
    torch.manual_seed(7)
    torch.testing.assert_close(make_masks("rectangles", 8, SIZE), first)


def test_rectangles_are_at_most_the_hole_size_per_side() -> None:
    masks = make_masks("rectangles", 200, (40, 40), 0.25, torch.Generator().manual_seed(0))
    # a rectangle is at most 10 x 10 and there are at most 3: at most 300 pixels
    assert masks.flatten(1).sum(1).max() <= 300
    single_row = masks[:, 0].amax(dim=2).sum(1)  # rows touched
    assert single_row.max() <= 30


def test_mask_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="--hole-size"):
        make_masks("centre", 2, SIZE, 1.5)
    with pytest.raises(ShapeError):
        make_masks("centre", 2, (0, 4))
    with pytest.raises(Exception, match="mask"):
        make_masks("circles", 2, SIZE)
    assert set(MASKS.names()) == {"centre", "rectangles", "strokes", "mixed"}


def test_the_window_covers_a_hole_that_fits_and_stays_inside_the_image() -> None:
    masks = make_masks("rectangles", 100, (32, 32), 0.5, torch.Generator().manual_seed(1))
    single = torch.zeros(100, 1, 32, 32)
    for i in range(100):  # keep each image's first rectangle-sized hole only: fits in 16 x 16
        rows = masks[i, 0].amax(1).nonzero()
        cols = masks[i, 0].amax(0).nonzero()
        if rows.numel() and rows.max() - rows.min() < 16 and cols.max() - cols.min() < 16:
            single[i] = masks[i]
    keep = single.flatten(1).amax(1) > 0
    tops, lefts = hole_windows(single[keep], (16, 16))
    crops = crop_windows(single[keep], tops, lefts, (16, 16))
    torch.testing.assert_close(crops.flatten(1).sum(1), single[keep].flatten(1).sum(1))
    assert bool((tops >= 0).all() and (tops <= 16).all() and (lefts <= 16).all())


def test_a_hole_at_the_corner_gets_a_window_clamped_to_the_image() -> None:
    masks = torch.zeros(2, 1, 12, 10)
    masks[0, :, 0:2, 8:10] = 1  # top right corner
    tops, lefts = hole_windows(masks, (6, 4))  # the second mask is empty: centred window
    assert tops.tolist() == [0, 3] and lefts.tolist() == [6, 3]
    with pytest.raises(ShapeError, match="does not fit"):
        hole_windows(masks, (13, 4))
