"""The pool of past fakes (CycleGAN) and the bank of sources: the history rule, its draws
from the seeded global RNG, and its contents surviving a state_dict round trip."""

from __future__ import annotations

import pytest
import torch

from latentforge.errors import ConfigError, ShapeError
from latentforge.models.image_pool import ImagePool


def _images(start: int, n: int) -> torch.Tensor:
    """Images whose every pixel is their index, so each is recognisable."""
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2)


def _ids(images: torch.Tensor) -> list[int]:
    return images[:, 0, 0, 0].long().tolist()


def test_pool_returns_and_stores_the_first_images_until_full() -> None:
    pool = ImagePool(5, (1, 2, 2))
    assert _ids(pool.query(_images(0, 3))) == [0, 1, 2]
    assert _ids(pool.query(_images(3, 2))) == [3, 4]
    assert len(pool) == 5 and sorted(_ids(pool.images)) == [0, 1, 2, 3, 4]


def test_full_pool_swaps_about_half_and_conserves_images() -> None:
    torch.manual_seed(0)
    pool = ImagePool(10, (1, 2, 2))
    pool.query(_images(0, 10))
    returned_old = 0
    for start in range(10, 2010, 10):
        before = _ids(pool.images)
        out = _ids(pool.query(_images(start, 10)))
        new = list(range(start, start + 10))
        # every image comes back either as itself or as one that was stored; nothing is lost
        assert sorted(before + new) == sorted(_ids(pool.images) + out)
        returned_old += sum(o != n for o, n in zip(out, new))
    # 2000 independent fair coins: the share of swaps is 0.5 +- 4.5 standard deviations
    assert abs(returned_old / 2000 - 0.5) < 4.5 * (0.25 / 2000) ** 0.5


def test_pool_draws_from_the_global_rng_and_resumes_from_its_state() -> None:
    torch.manual_seed(3)
    pool = ImagePool(4, (1, 2, 2))
    pool.query(_images(0, 4))
    saved, rng = {k: v.clone() for k, v in pool.state_dict().items()}, torch.get_rng_state()
    first = [_ids(pool.query(_images(s, 4))) for s in (10, 20, 30)]
    resumed = ImagePool(4, (1, 2, 2))
    resumed.load_state_dict(saved)
    torch.set_rng_state(rng)
    assert [_ids(resumed.query(_images(s, 4))) for s in (10, 20, 30)] == first
    assert torch.equal(resumed.images, pool.images)


def test_pool_of_size_zero_passes_images_through() -> None:
    images = _images(0, 3)
    assert torch.equal(ImagePool(0, (1, 2, 2)).query(images), images)


def test_bank_keeps_the_first_images_and_draws_them_reproducibly() -> None:
    bank = ImagePool(4, (1, 2, 2))
    with pytest.raises(ConfigError, match="empty"):
        bank.draw(2)
    bank.fill(_images(0, 3))
    bank.fill(_images(3, 3))
    bank.fill(_images(6, 3))
    assert _ids(bank.images) == [0, 1, 2, 3] and len(bank) == 4
    one = bank.draw(50, torch.Generator().manual_seed(1))
    two = bank.draw(50, torch.Generator().manual_seed(1))
    assert torch.equal(one, two) and set(_ids(one)) <= {0, 1, 2, 3}
    assert len(set(_ids(one))) == 4  # 50 uniform draws from 4 hit every image


def test_pool_rejects_images_of_another_shape() -> None:
    with pytest.raises(ShapeError, match=r"\(1, 2, 2\)"):
        ImagePool(2, (1, 2, 2)).query(torch.zeros(1, 1, 3, 3))
