"""``load_data``: one entry point from a ``--data`` value to a :class:`DataBundle`."""

from __future__ import annotations

from pathlib import Path

from latentforge.data import (  # noqa: F401  (they register datasets)
    cifar,
    mnist_sets,
    orl_faces,
    sample,
    translation_tasks,
)
from latentforge.data.base import DataBundle, ImageSet, TensorImageSet
from latentforge.data.sources import (
    DEFAULT_STREAM_THRESHOLD_BYTES,
    LoadRequest,
    Source,
    resolve_data_dir,
)
from latentforge.data.spec import open_source
from latentforge.data.split import check_val_fraction, holdout_split
from latentforge.data.transforms import ImageTransform
from latentforge.errors import ConfigError, DataError


def _transformed(image_set: ImageSet, transform: ImageTransform) -> ImageSet:
    if not transform.changes(image_set.shape):
        return image_set
    if not isinstance(image_set, TensorImageSet):  # streamed sets are built with their transform
        raise TypeError(f"cannot transform a {type(image_set).__name__} after loading")
    return TensorImageSet(transform.apply_in_chunks(image_set.images), image_set.labels)


def _check_test_shape(source: Source, train: ImageSet, test: ImageSet | None) -> None:
    if test is not None and test.shape != train.shape:
        raise DataError(
            f"{source.extra.get('source', source.name)}: test images are {test.shape} but train "
            f"images are {train.shape} (channels, height, width); give --image-size and "
            "--channels to bring both to one shape"
        )


def load_data(
    spec: str | Path = "sample",
    *,
    data_dir: str | Path | None = None,
    image_size: int | tuple[int, int] | None = None,
    channels: int | None = None,
    download: bool = True,
    val_fraction: float = 0.1,
    seed: int = 0,
    stream_threshold_bytes: int | None = None,
) -> DataBundle:
    """Load a dataset into train / val / test splits of ``uint8 (N, C, H, W)`` images.

    Args:
        spec: ``sample`` (built in), ``fashion-mnist``, ``mnist``, ``cifar10``, a path to an
            ``.npz`` file, a path to a folder of images, a translation task
            (``edges2fashion``, ``sneaker2boot``) or an image-pair form (``paired:A,B``,
            ``side-by-side:DIR``, ``unpaired:A,B``, ``edges:SPEC``; ``data/pairs.py``).
        data_dir: where the standard datasets live; default ``$LATENTFORGE_DATA``, else
            ``$XDG_CACHE_HOME/latentforge`` or ``~/.cache/latentforge``.
        image_size: resize every image to ``(size, size)`` or ``(height, width)``.
        channels: 1 (grey) or 3 (RGB); default: as stored (folders: 3 if any image is colour).
        download: fetch missing standard datasets (checksummed) from their official URLs.
        val_fraction: share of the train split held out for validation, in [0, 1).
        seed: seeds the validation permutation; the same seed gives the same split.
        stream_threshold_bytes: image folders bigger than this once decoded are read from disk
            batch by batch (default ``DEFAULT_STREAM_THRESHOLD_BYTES``, 2 GiB).

    Raises:
        ConfigError: a bad ``image_size``, ``channels`` or ``val_fraction``.
        DataError: the data cannot be found, fetched or read (the message says how to fix it).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer; got {seed!r}")
    transform = ImageTransform.from_options(image_size, channels)
    val_fraction = check_val_fraction(val_fraction)
    threshold = (
        DEFAULT_STREAM_THRESHOLD_BYTES
        if stream_threshold_bytes is None
        else int(stream_threshold_bytes)
    )
    request = LoadRequest(resolve_data_dir(data_dir), bool(download), transform, threshold)
    source = open_source(spec, request)
    train, test = source.train, source.test
    if not source.transformed:
        train = _transformed(train, transform)
        test = None if test is None else _transformed(test, transform)
    _check_test_shape(source, train, test)
    train, val = holdout_split(train, val_fraction, seed)
    return DataBundle(source.name, train, val, test, source.class_names, dict(source.extra))
