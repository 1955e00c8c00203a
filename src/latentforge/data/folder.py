"""Folders of image files: ``--data path/to/folder``.

Images are found recursively. When they sit in first-level subfolders, each subfolder is a
class (``root/cat/1.png`` has label ``cat``; classes sorted by name); when they all sit in
``root`` itself, the set is unlabelled. A folder whose decoded images fit under the streaming
threshold is decoded into memory; a bigger one becomes a :class:`FolderImageSet`, which decodes
files on demand (in DataLoader workers, during training).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

from latentforge.data.base import ImageSet, TensorImageSet
from latentforge.data.image_files import (
    IMAGE_SUFFIXES,
    ImageInfo,
    decode_image,
    find_image_files,
    probe_image,
    thread_map,
)
from latentforge.data.sources import LoadRequest, Source
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError


class FolderImageSet(ImageSet):
    """Images read from their files at each :meth:`take`, for folders too big to hold in memory.

    It holds only file names (as strings), labels and the transform, all plain data, so it
    travels cheaply to DataLoader worker processes.
    """

    def __init__(
        self,
        files: Sequence[str | Path],
        labels: torch.Tensor | None,
        transform: ImageTransform,
        shape: tuple[int, int, int],
    ) -> None:
        self.files = [str(path) for path in files]
        if labels is not None and labels.shape != (len(self.files),):
            raise DataError(f"{len(labels)} labels for {len(self.files)} image files")
        self._labels = labels
        self.transform = transform
        self.channels, self.height, self.width = shape

    def __len__(self) -> int:
        return len(self.files)

    @property
    def in_memory(self) -> bool:
        return False

    @property
    def labels(self) -> torch.Tensor | None:
        return self._labels

    def _decode(self, index: int) -> torch.Tensor:
        image = decode_image(Path(self.files[index]), self.transform)
        if tuple(image.shape) != self.shape:
            raise DataError(
                f"{self.files[index]} decodes to shape {tuple(image.shape)}, not {self.shape}: "
                "it changed after the folder was scanned; load the folder again"
            )
        return image

    def take(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        images = torch.empty((len(indices), *self.shape), dtype=torch.uint8)
        for row, index in enumerate(indices.tolist()):
            images[row] = self._decode(index)
        labels = None if self._labels is None else self._labels[indices]
        return images, labels

    def subset(self, indices: torch.Tensor) -> FolderImageSet:
        files = [self.files[i] for i in indices.tolist()]
        labels = None if self._labels is None else self._labels[indices]
        return FolderImageSet(files, labels, self.transform, self.shape)


def _labels_from_layout(
    root: Path, files: list[Path]
) -> tuple[torch.Tensor | None, list[str] | None]:
    top_level = [path for path in files if path.parent == root]
    nested = [path for path in files if path.parent != root]
    if not nested:
        return None, None
    if top_level:
        raise DataError(
            f"{root} has images both at its top level (e.g. {top_level[0].name}) and in "
            f"subfolders (e.g. {nested[0].relative_to(root)}): put every image in a class "
            "subfolder for labels, or all at the top level for an unlabelled set"
        )
    class_of = [path.relative_to(root).parts[0] for path in files]
    class_names = sorted(set(class_of))
    index = {name: i for i, name in enumerate(class_names)}
    return torch.tensor([index[name] for name in class_of], dtype=torch.int64), class_names


def common_size(root: Path, infos: list[ImageInfo]) -> tuple[int, int]:
    """The one (height, width) of all ``infos``; a :class:`DataError` naming two files that
    differ, and ``--image-size`` as the fix."""
    first = infos[0]
    other = next(
        (info for info in infos if (info.height, info.width) != (first.height, first.width)), None
    )
    if other is not None:
        raise DataError(
            f"images in {root} differ in size: {first.path} is {first.width}x{first.height} "
            f"(width x height) but {other.path} is {other.width}x{other.height}; give "
            "--image-size (e.g. --image-size 64) to resize them all to one size"
        )
    return (first.height, first.width)


def decode_all(
    files: list[Path], transform: ImageTransform, shape: tuple[int, int, int]
) -> torch.Tensor:
    """Every file decoded with ``transform`` into one ``uint8 (N, *shape)`` tensor."""
    images = torch.empty((len(files), *shape), dtype=torch.uint8)

    def fill(row: int) -> None:
        images[row] = decode_image(files[row], transform)

    thread_map(fill, range(len(files)))
    return images


def load_folder(root: Path, request: LoadRequest) -> Source:
    """Scan ``root``, check sizes and decide: decode into memory, or stream from disk."""
    files = find_image_files(root)
    if not files:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(
            f"{root} contains no image files (searched recursively for {suffixes}); put images "
            "in it, or point --data at another folder"
        )
    labels, class_names = _labels_from_layout(root, files)
    infos = thread_map(probe_image, files)
    size = request.transform.size or common_size(root, infos)
    channels = request.transform.channels or (3 if any(info.colour for info in infos) else 1)
    transform = ImageTransform(size, channels)
    shape = (channels, *size)
    if len(files) * math.prod(shape) > request.stream_threshold_bytes:
        train: ImageSet = FolderImageSet(files, labels, transform, shape)
    else:
        train = TensorImageSet(decode_all(files, transform, shape), labels)
    name = root.resolve().name or str(root)
    return Source(name, train, None, class_names, {"source": str(root)})
