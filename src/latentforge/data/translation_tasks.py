"""Built-in translation tasks on real data (the layout of pairs is in ``data/pairs.py``).

- ``edges2fashion`` (paired, pix2pix): a Sobel edge map (``data/edges.py``) -> the
  Fashion-MNIST item it came from.
- ``sneaker2boot`` (unpaired, CycleGAN): Fashion-MNIST sneakers (class 7) as domain A, ankle
  boots (class 9) as domain B.
- ``edges:SPEC``: edge map -> image for any other ``--data`` value (``edges:mnist``,
  ``edges:photos/``).

The two named tasks use the full Fashion-MNIST (60,000 train / 10,000 test images) when it is
in the data directory (``--data-dir`` or ``$LATENTFORGE_DATA``: ``fashion-mnist.npz`` or the
four IDX files in ``fashion-mnist/``); they never download it. Otherwise they use the built-in
sample (the 10,000 Fashion-MNIST test images, no test split). ``extra["source"]`` says which.
"""

from __future__ import annotations

from latentforge.data import pair_folders  # noqa: F401  (registers paired:, side-by-side:, ...)
from latentforge.data.edges import edge_map
from latentforge.data.mnist_sets import find_idx_files
from latentforge.data.pairs import (
    PAIRED,
    UNPAIRED,
    all_images,
    pair_source,
    stack_pair,
    unpaired_stack,
)
from latentforge.data.sources import DATA_SCHEMES, DATASETS, LoadRequest, Source
from latentforge.data.spec import open_source
from latentforge.errors import DataError

SNEAKER, ANKLE_BOOT = 7, 9
FASHION_MNIST = "fashion-mnist"


def has_local_fashion_mnist(request: LoadRequest) -> bool:
    """Whether Fashion-MNIST is in the data directory (as ``.npz`` or the four IDX files)."""
    if (request.data_dir / f"{FASHION_MNIST}.npz").is_file():
        return True
    return all(
        path is not None for path in find_idx_files(request.data_dir / FASHION_MNIST).values()
    )


def fashion_base(request: LoadRequest) -> Source:
    """Fashion-MNIST from the data directory if it is there, else the built-in sample."""
    name = FASHION_MNIST if has_local_fashion_mnist(request) else "sample"
    return DATASETS.get(name)(request)


def _check_base(base: Source, what: str) -> None:
    if base.transformed:
        raise DataError(f"{what} needs a set of single images, but {base.name} holds pairs")


def edges_source(base: Source, request: LoadRequest, name: str) -> Source:
    """Pairs (edge map, image) from every image of ``base`` (labels kept)."""
    _check_base(base, name)
    splits = []
    for image_set in (base.train, base.test):
        if image_set is None:
            splits.append((None, None))
            continue
        images, labels = all_images(image_set, request.transform)
        splits.append((stack_pair(edge_map(images), images), labels))
    (train, train_labels), (test, test_labels) = splits
    source = base.extra.get("source", base.name)
    return pair_source(
        name,
        PAIRED,
        train,
        test,
        train_labels,
        test_labels,
        base.class_names,
        {"source": f"Sobel edges -> images of {source}"},
    )


def class_pair_source(base: Source, class_a: int, class_b: int, request: LoadRequest, name: str):
    """Unpaired collections: the images of ``class_a`` (domain A) and of ``class_b`` (B)."""
    _check_base(base, name)
    splits = []
    for image_set in (base.train, base.test):
        if image_set is None:
            splits.append(None)
            continue
        images, labels = all_images(image_set, request.transform)
        if labels is None:
            raise DataError(f"{name} needs class labels, but {base.name} has none")
        collections = [images[labels == k] for k in (class_a, class_b)]
        if min(len(c) for c in collections) == 0:
            raise DataError(f"{base.name} has no images of class {class_a} or {class_b}")
        splits.append(unpaired_stack(*collections))
    names = base.class_names or [str(k) for k in range(max(class_a, class_b) + 1)]
    source = base.extra.get("source", base.name)
    return pair_source(
        name,
        UNPAIRED,
        splits[0],
        splits[1],
        extra={
            "source": f"classes {names[class_a]} (A) and {names[class_b]} (B) of {source}",
            "domain_a": names[class_a],
            "domain_b": names[class_b],
        },
    )


@DATASETS.register("edges2fashion")
def load_edges2fashion(request: LoadRequest) -> Source:
    """Edge map -> Fashion-MNIST item (paired)."""
    return edges_source(fashion_base(request), request, "edges2fashion")


@DATASETS.register("sneaker2boot")
def load_sneaker2boot(request: LoadRequest) -> Source:
    """Fashion-MNIST sneakers (A) and ankle boots (B), unpaired."""
    return class_pair_source(fashion_base(request), SNEAKER, ANKLE_BOOT, request, "sneaker2boot")


@DATA_SCHEMES.register("edges")
def load_edges_of(argument: str, request: LoadRequest) -> Source:
    """``edges:SPEC``: edge map -> image pairs from any other ``--data`` value."""
    return edges_source(open_source(argument.strip(), request), request, f"edges:{argument}")
