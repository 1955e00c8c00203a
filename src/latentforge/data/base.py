"""Image sets and the bundle of splits that every data source returns.

Images are stored as ``uint8`` tensors shaped (N, C, H, W) and turned into floats in
[0, 1] only when a batch is made, so a dataset costs one byte per pixel in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch

from latentforge.errors import DataError


class ImageSet(ABC):
    """A fixed collection of images of one shape, with optional integer labels."""

    channels: int
    height: int
    width: int

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Images ``uint8 (B, C, H, W)`` and labels ``int64 (B,)`` (or ``None``) at ``indices``."""

    @property
    def labels(self) -> torch.Tensor | None:
        """All labels as ``int64 (N,)``, or ``None`` for an unlabelled set."""
        return None

    @property
    def in_memory(self) -> bool:
        return True

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


class TensorImageSet(ImageSet):
    """An image set held in memory; batches are made by indexing, with no per-sample Python."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise DataError(
                f"images must be a uint8 tensor shaped (N, C, H, W); got {images.dtype} "
                f"{tuple(images.shape)}"
            )
        if labels is not None:
            labels = labels.to(torch.int64)
            if labels.shape != (images.shape[0],):
                raise DataError(
                    f"labels must have one entry per image: {tuple(labels.shape)} labels for "
                    f"{images.shape[0]} images"
                )
        self.images = images.contiguous()
        self._labels = labels
        self.channels, self.height, self.width = (int(s) for s in images.shape[1:])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        labels = None if self._labels is None else self._labels[indices]
        return self.images[indices], labels

    @property
    def labels(self) -> torch.Tensor | None:
        return self._labels

    def subset(self, indices: torch.Tensor) -> TensorImageSet:
        images, labels = self.take(indices)
        return TensorImageSet(images, labels)


@dataclass
class DataBundle:
    """What a data source gives: a training split, a validation split and, if any, a test split."""

    name: str
    train: ImageSet
    val: ImageSet | None = None
    test: ImageSet | None = None
    class_names: list[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def channels(self) -> int:
        return self.train.channels

    @property
    def image_size(self) -> tuple[int, int]:
        return (self.train.height, self.train.width)

    @property
    def num_classes(self) -> int | None:
        return None if self.class_names is None else len(self.class_names)

    def split(self, name: str) -> ImageSet:
        """The split called ``name`` (train, val or test), with a clear error if it is absent."""
        image_set = getattr(self, name, None) if name in ("train", "val", "test") else None
        if image_set is None:
            have = [s for s in ("train", "val", "test") if getattr(self, s) is not None]
            raise DataError(
                f"dataset {self.name!r} has no {name!r} split; use one of: {', '.join(have)}"
            )
        return image_set
