"""Hold out a validation split from the training split, reproducibly.

``n_val = round(val_fraction * n)`` (at least 1 when ``val_fraction > 0``) images are chosen by
a permutation drawn from a ``torch.Generator`` seeded with ``seed``; the same seed always gives
the same split. Both parts keep the source's order.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from latentforge.data.base import ImageSet
from latentforge.errors import ConfigError, DataError


class SubsettableImageSet(Protocol):
    def __len__(self) -> int: ...

    def subset(self, indices: torch.Tensor) -> ImageSet: ...


def check_val_fraction(val_fraction: float) -> float:
    """``val_fraction`` as a float in [0, 1), or ``ConfigError``."""
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)):
        raise ConfigError(f"val_fraction must be a number in [0, 1); got {val_fraction!r}")
    value = float(val_fraction)
    if not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise ConfigError(
            f"val_fraction must be in [0, 1) (0 means no validation split); got {val_fraction!r}"
        )
    return value


def validation_size(n: int, val_fraction: float) -> int:
    """How many of ``n`` training images are held out."""
    if val_fraction == 0.0:
        return 0
    return max(1, round(val_fraction * n))


def holdout_split(
    image_set: SubsettableImageSet, val_fraction: float, seed: int
) -> tuple[ImageSet, ImageSet | None]:
    """``(train, val)``: ``val`` has ``validation_size(n, val_fraction)`` images, or is ``None``."""
    n = len(image_set)
    n_val = validation_size(n, check_val_fraction(val_fraction))
    if n_val == 0:
        return image_set, None  # type: ignore[return-value]
    if n - n_val < 1:
        raise DataError(
            f"the training split has only {n} image(s): holding out {n_val} for validation "
            "leaves none to train on; add images or use --val-fraction 0"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_indices, _ = order[:n_val].sort()
    train_indices, _ = order[n_val:].sort()
    return image_set.subset(train_indices), image_set.subset(val_indices)
