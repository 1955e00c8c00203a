"""CIFAR-10, binary version: ``cifar-10-batches-bin/`` in the data directory.

Each of ``data_batch_1.bin`` .. ``data_batch_5.bin`` (train) and ``test_batch.bin`` (test) is a
sequence of records of 1 label byte followed by 3072 pixel bytes: the 1024 red values of the
32x32 image row by row, then 1024 green, then 1024 blue. See
https://www.cs.toronto.edu/~kriz/cifar.html. The pickled "python version" is never read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from latentforge.data.arrays import class_names_for, labels_from_array
from latentforge.data.base import TensorImageSet
from latentforge.data.download import REMOTE_FILES, extract_tar_folder, fetch_files, verify_file
from latentforge.data.sources import DATASETS, LoadRequest, Source
from latentforge.errors import DataError

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CIFAR10_FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
IMAGE_SHAPE = (3, 32, 32)
RECORD_BYTES = 1 + 3 * 32 * 32


def read_cifar_batches(paths: list[Path]) -> TensorImageSet:
    """Concatenate CIFAR binary batch files into one image set (vectorised, no per-record loop)."""
    records = []
    for path in paths:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % RECORD_BYTES:
            raise DataError(
                f"{path} has {raw.size} bytes, not a whole number of {RECORD_BYTES}-byte CIFAR-10 "
                "records; it is truncated or not from the binary version - replace it"
            )
        records.append(raw.reshape(-1, RECORD_BYTES))  # (n, 1 + 3072)
    table = np.concatenate(records)
    images = np.ascontiguousarray(table[:, 1:]).reshape(-1, *IMAGE_SHAPE)  # (N, 3, 32, 32)
    labels = labels_from_array(table[:, 0], len(table), str(paths[0].parent), "labels")
    return TensorImageSet(torch.from_numpy(images), labels)


def _missing(folder: Path) -> list[str]:
    return [name for name in (*TRAIN_FILES, TEST_FILE) if not (folder / name).is_file()]


def _obtain(request: LoadRequest, folder: Path) -> None:
    """Make ``folder`` complete: extract the archive, downloading it first if needed."""
    if folder.is_dir():
        raise DataError(
            f"{folder} lacks {', '.join(_missing(folder))}; add them, or delete the folder "
            "and run again to extract it afresh"
        )
    (remote,) = REMOTE_FILES["cifar10"]
    archive = request.data_dir / remote.name
    if archive.is_file():
        verify_file(archive, remote)
    else:
        alternatives = (
            f" (it is extracted there), or instead its extracted folder {folder} holding "
            f"{', '.join(TRAIN_FILES)} and {TEST_FILE} - the binary version: the pickled "
            "'python version' (cifar-10-batches-py) is not read"
        )
        fetch_files("CIFAR-10", request, request.data_dir, [remote], alternatives)
    extract_tar_folder(archive, request.data_dir, CIFAR10_FOLDER)
    if _missing(folder):
        raise DataError(
            f"{archive} did not contain {', '.join(_missing(folder))}; delete {archive} and "
            f"{folder} and run again"
        )


@DATASETS.register("cifar10")
def load_cifar10(request: LoadRequest) -> Source:
    """CIFAR-10's 50,000 train and 10,000 test images, 3x32x32, with their ten classes."""
    folder = request.data_dir / CIFAR10_FOLDER
    if _missing(folder):
        _obtain(request, folder)
    train = read_cifar_batches([folder / name for name in TRAIN_FILES])
    test = read_cifar_batches([folder / TEST_FILE])
    class_names = class_names_for([train.labels, test.labels], list(CIFAR10_CLASSES), str(folder))
    return Source("CIFAR-10", train, test, class_names, {"source": str(folder)})
