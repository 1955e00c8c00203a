"""Keep only some classes of a labelled dataset: ``--classes 3`` or ``--classes 5,7,9``.

The one-class protocol of anomaly detection trains on the images of one class and treats every
other class as an anomaly, so :func:`keep_classes` filters the training and validation splits
and leaves the test split whole: the held-out classes stay there to be detected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch

from latentforge.data.base import DataBundle, ImageSet
from latentforge.data.split import SubsettableImageSet
from latentforge.errors import ConfigError, DataError


def check_classes(classes: Sequence[int]) -> tuple[int, ...]:
    """``classes`` as a non-empty tuple of distinct non-negative ints, or ``ConfigError``."""
    values = tuple(classes)
    if not values or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in values):
        raise ConfigError(
            f"--classes must be one or more non-negative class ids, got {classes!r} "
            "(e.g. --classes 3 or --classes 5,7,9)"
        )
    if len(set(values)) != len(values):
        raise ConfigError(f"--classes lists a class twice: {classes!r}")
    return values


def _describe(class_names: list[str] | None) -> str:
    if not class_names:
        return ""
    return " (" + ", ".join(f"{i} {name}" for i, name in enumerate(class_names)) + ")"


def select_classes(
    image_set: SubsettableImageSet, classes: Sequence[int], what: str = "the data"
) -> ImageSet:
    """The images of ``image_set`` whose label is in ``classes``, in their original order."""
    labels = getattr(image_set, "labels", None)
    if labels is None:
        raise DataError(
            f"--classes needs labelled data, but {what} has no labels; use a labelled "
            "dataset (a standard set, an .npz with y, or a folder with class subfolders)"
        )
    wanted = torch.tensor(check_classes(classes), dtype=labels.dtype)
    indices = torch.isin(labels, wanted).nonzero().flatten()
    return image_set.subset(indices)


def keep_classes(bundle: DataBundle, classes: Sequence[int]) -> DataBundle:
    """``bundle`` with its train and val splits cut to ``classes``; the test split is kept whole.

    A validation split left empty by the cut becomes ``None`` (no validation).
    """
    classes = check_classes(classes)
    if bundle.num_classes is not None and max(classes) >= bundle.num_classes:
        raise DataError(
            f"--classes {','.join(map(str, classes))}: {bundle.name!r} has classes "
            f"0..{bundle.num_classes - 1}{_describe(bundle.class_names)}"
        )
    train = select_classes(bundle.train, classes, f"the training split of {bundle.name!r}")
    if len(train) == 0:
        raise DataError(
            f"--classes {','.join(map(str, classes))}: no training image of {bundle.name!r} has "
            f"these labels{_describe(bundle.class_names)}; pick classes that occur"
        )
    val = bundle.val
    if val is not None:
        val = select_classes(val, classes, f"the validation split of {bundle.name!r}")
        val = val if len(val) > 0 else None
    return dataclasses.replace(bundle, train=train, val=val)
