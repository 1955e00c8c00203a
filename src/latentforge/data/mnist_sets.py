"""MNIST and Fashion-MNIST: the four IDX files of the official release, or one ``.npz``.

Looked up in the data directory ``D``: first ``D/<name>.npz`` (arrays x_train, y_train, x_test,
y_test), then ``D/<name>/`` holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each gzipped (``.gz``) or not.
Missing IDX files are downloaded there, checksummed, when downloads are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from latentforge.data.arrays import class_names_for, images_from_array, labels_from_array
from latentforge.data.base import TensorImageSet
from latentforge.data.download import REMOTE_FILES, fetch_files
from latentforge.data.idx import read_idx
from latentforge.data.npz import read_npz
from latentforge.data.sources import DATASETS, LoadRequest, Source

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_CLASSES = tuple(str(digit) for digit in range(10))

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass(frozen=True)
class IdxDataset:
    """A dataset released as the four MNIST-style IDX files."""

    key: str
    title: str
    class_names: tuple[str, ...]


def find_idx_files(folder: Path) -> dict[str, Path | None]:
    """Each IDX file's path in ``folder`` (plain preferred over ``.gz``), or ``None`` if absent."""
    found: dict[str, Path | None] = {}
    for stem in IDX_FILES:
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found[stem] = next((path for path in candidates if path.is_file()), None)
    return found


def _idx_split(images_path: Path, labels_path: Path) -> TensorImageSet:
    images = images_from_array(read_idx(images_path), str(images_path), "images")
    labels = labels_from_array(read_idx(labels_path), len(images), str(labels_path), "labels")
    return TensorImageSet(images, labels)


def _fetch_missing(dataset: IdxDataset, request: LoadRequest, folder: Path) -> None:
    found = find_idx_files(folder)
    missing = {stem for stem, path in found.items() if path is None}
    if not missing:
        return
    remotes = [r for r in REMOTE_FILES[dataset.key] if r.name.removesuffix(".gz") in missing]
    npz = request.data_dir / f"{dataset.key}.npz"
    alternatives = (
        f" (gzipped or not), or instead one .npz with arrays x_train, y_train, x_test, y_test "
        f"at {npz}"
    )
    fetch_files(dataset.title, request, folder, remotes, alternatives)


def load_idx_dataset(dataset: IdxDataset, request: LoadRequest) -> Source:
    """Read ``dataset`` from the data directory, downloading its IDX files if needed."""
    npz = request.data_dir / f"{dataset.key}.npz"
    if npz.is_file():
        source = read_npz(npz, name=dataset.title)
    else:
        folder = request.data_dir / dataset.key
        _fetch_missing(dataset, request, folder)
        paths = find_idx_files(folder)
        train = _idx_split(paths[TRAIN_IMAGES], paths[TRAIN_LABELS])
        test = _idx_split(paths[TEST_IMAGES], paths[TEST_LABELS])
        source = Source(dataset.title, train, test, extra={"source": str(folder)})
    labels = [source.train.labels, None if source.test is None else source.test.labels]
    source.class_names = class_names_for(labels, list(dataset.class_names), source.extra["source"])
    return source


FASHION_MNIST = IdxDataset("fashion-mnist", "Fashion-MNIST", FASHION_MNIST_CLASSES)
MNIST = IdxDataset("mnist", "MNIST", MNIST_CLASSES)
for _dataset in (FASHION_MNIST, MNIST):
    DATASETS.add(_dataset.key, partial(load_idx_dataset, _dataset))
