"""Image pairs for translation models, stacked along the channel axis.

A translation data set is an ordinary image set whose images are ``(N, 2C, H, W)``: channels
``[0, C)`` hold an image of domain A (the source) and ``[C, 2C)`` one of domain B (the
target). Batching, shuffling, validation splits and checkpoints treat it like any other images;
the model splits a batch with :func:`split_pair`. ``DataBundle.extra["layout"]`` says how the
halves relate:

- ``paired``: row i's halves belong together (an edge map and its photo): pix2pix;
- ``unpaired``: two independent collections side by side (CycleGAN). Row i holds A image
  ``i mod n_A`` and B image ``i mod n_B``, ``max(n_A, n_B)`` rows in all; which B image sits
  beside which A image means nothing, since the two halves' losses never meet.

Both halves have the same channel count (1 or 3): a grey and a colour collection become colour
unless ``--channels`` says otherwise.
"""

from __future__ import annotations

import torch
from torch import Tensor

from latentforge.data.base import ImageSet, TensorImageSet
from latentforge.data.sources import Source
from latentforge.data.transforms import ImageTransform, convert_channels
from latentforge.errors import DataError, ShapeError

LAYOUT = "layout"
PAIRED = "paired"
UNPAIRED = "unpaired"
LAYOUTS = (PAIRED, UNPAIRED)


def stack_pair(sources: Tensor, targets: Tensor) -> Tensor:
    """``(N, C, H, W)`` sources and targets -> ``(N, 2C, H, W)`` pairs."""
    if sources.shape != targets.shape:
        raise ShapeError(
            f"sources {tuple(sources.shape)} and targets {tuple(targets.shape)} must have one "
            "shape (N, C, H, W) to be stacked into pairs"
        )
    return torch.cat([sources, targets], dim=1)


def split_pair(images: Tensor) -> tuple[Tensor, Tensor]:
    """``(N, 2C, H, W)`` pairs -> ``(sources, targets)``, each ``(N, C, H, W)``."""
    if images.dim() != 4 or images.shape[1] % 2:
        raise ShapeError(
            f"image pairs are (N, 2C, H, W) with the source in the first C channels and the "
            f"target in the last C; got {tuple(images.shape)}. Train translation models on "
            "pair data: --data edges2fashion, sneaker2boot, paired:A,B, side-by-side:DIR or "
            "unpaired:A,B"
        )
    channels = images.shape[1] // 2
    return images[:, :channels], images[:, channels:]


def unpaired_stack(images_a: Tensor, images_b: Tensor) -> Tensor:
    """Two collections ``(n_A, C, H, W)``, ``(n_B, C, H, W)`` -> ``(max(n_A, n_B), 2C, H, W)``,
    row i holding A image ``i mod n_A`` and B image ``i mod n_B``."""
    n = max(len(images_a), len(images_b))
    rows = torch.arange(n)
    return stack_pair(images_a[rows % len(images_a)], images_b[rows % len(images_b)])


def all_images(image_set: ImageSet, transform: ImageTransform) -> tuple[Tensor, Tensor | None]:
    """Every image of ``image_set`` (``uint8 (N, C, H, W)``, after ``transform``) and its
    labels, in memory."""
    images, labels = image_set.take(torch.arange(len(image_set)))
    return transform.apply_in_chunks(images), labels


def common_channels(transform: ImageTransform, *collections: Tensor) -> list[Tensor]:
    """The collections converted to one channel count: ``transform.channels`` if given, else 3
    when any collection is in colour, else 1."""
    channels = transform.channels or max(images.shape[1] for images in collections)
    return [convert_channels(images, channels) for images in collections]


def check_same_size(first: Tensor, second: Tensor, where: str) -> None:
    if first.shape[-2:] != second.shape[-2:]:
        raise DataError(
            f"{where}: the images of domain A are {tuple(first.shape[-2:])} (height, width) "
            f"but those of domain B are {tuple(second.shape[-2:])}; give --image-size to bring "
            "both to one size"
        )


def pair_source(
    name: str,
    layout: str,
    train: Tensor,
    test: Tensor | None = None,
    train_labels: Tensor | None = None,
    test_labels: Tensor | None = None,
    class_names: list[str] | None = None,
    extra: dict[str, str] | None = None,
) -> Source:
    """A :class:`Source` of stacked pairs ``uint8 (N, 2C, H, W)`` with its layout recorded.

    The transform was applied to each half already, so ``load_data`` leaves the pairs alone.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown pair layout {layout!r}")
    info = {**(extra or {}), LAYOUT: layout, "pair_channels": str(train.shape[1] // 2)}
    return Source(
        name,
        TensorImageSet(train, train_labels),
        None if test is None else TensorImageSet(test, test_labels),
        class_names,
        info,
        transformed=True,
    )
