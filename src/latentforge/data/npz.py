"""Datasets stored as NumPy ``.npz`` archives (read with ``allow_pickle=False``).

Arrays: images ``x`` (one split), or ``x_train`` and optionally ``x_test``; labels ``y``, or
``y_train`` / ``y_test``, optional; ``class_names``, an optional 1-d string array. Images may be
``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)`` with C in {1, 3}, ``uint8`` or float in [0, 1].
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from latentforge.data.arrays import class_names_for, images_from_array, labels_from_array
from latentforge.data.base import TensorImageSet
from latentforge.data.sources import Source
from latentforge.errors import DataError

_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
_REMAKE = "re-create it with numpy.savez(path, x=images, y=labels)"


def _open(path: Path) -> np.lib.npyio.NpzFile:
    if not path.is_file():
        raise DataError(f"no .npz file at {path}; check the path (or pass an image folder)")
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as error:
        raise DataError(
            f"{path} is not a valid .npz archive (corrupt or not written by numpy.savez: "
            f"{error}); {_REMAKE}"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path} holds a single .npy array, not an .npz archive; {_REMAKE}")
    return archive


def _array(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except _READ_ERRORS as error:
        raise DataError(
            f"{path}: array {key!r} cannot be read ({error}); the file is corrupt or holds "
            f"Python objects, which are never loaded; {_REMAKE}"
        ) from None


def _class_names(array: np.ndarray, path: Path) -> list[str]:
    if array.ndim != 1 or array.dtype.kind not in "US":
        raise DataError(
            f"{path}: 'class_names' has dtype {array.dtype} and shape {array.shape}; store a 1-d "
            "string array such as np.array(['cat', 'dog'])"
        )
    if array.dtype.kind == "S":
        return [name.decode("utf-8", errors="replace") for name in array.tolist()]
    return [str(name) for name in array.tolist()]


def _split(
    archive: np.lib.npyio.NpzFile, image_key: str, label_key: str, path: Path
) -> TensorImageSet:
    images = images_from_array(_array(archive, image_key, path), str(path), image_key)
    labels = None
    if label_key in archive.files:
        labels = labels_from_array(
            _array(archive, label_key, path), len(images), str(path), label_key
        )
    return TensorImageSet(images, labels)


def _train_keys(names: set[str], path: Path) -> tuple[str, str]:
    if "x" in names and "x_train" in names:
        raise DataError(
            f"{path} has both 'x' and 'x_train'; keep one (x for a single split, x_train with "
            "x_test for a train/test pair)"
        )
    if "x_train" in names:
        return "x_train", "y_train"
    if "x" in names:
        return "x", "y"
    found = ", ".join(sorted(names)) or "none"
    raise DataError(
        f"{path} has no image array 'x' or 'x_train' (arrays found: {found}); save the images "
        "under the name x, e.g. numpy.savez(path, x=images, y=labels)"
    )


def read_npz(path: str | Path, name: str | None = None) -> Source:
    """Read an ``.npz`` dataset into memory: a train split and, with ``x_test``, a test split."""
    path = Path(path)
    with _open(path) as archive:
        names = set(archive.files)
        image_key, label_key = _train_keys(names, path)
        train = _split(archive, image_key, label_key, path)
        test = _split(archive, "x_test", "y_test", path) if "x_test" in names else None
        given = None
        if "class_names" in names:
            given = _class_names(_array(archive, "class_names", path), path)
    labels = [train.labels, None if test is None else test.labels]
    class_names = class_names_for(labels, given, str(path))
    return Source(name or path.stem, train, test, class_names, {"source": str(path)})
