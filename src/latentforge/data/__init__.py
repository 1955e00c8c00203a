"""Datasets: the built-in sample, standard sets, .npz files and image folders.

Quick start::

    from latentforge.data import load_data
    data = load_data("sample")                  # or "fashion-mnist", "path/to/x.npz", "images/"
    data.train, data.val, data.test             # ImageSets of uint8 (N, C, H, W)
"""

from latentforge.data.base import DataBundle, ImageSet, TensorImageSet
from latentforge.data.folder import FolderImageSet
from latentforge.data.load import load_data
from latentforge.data.sources import (
    DATA_DIR_ENV,
    DATASETS,
    DEFAULT_STREAM_THRESHOLD_BYTES,
    default_data_dir,
)
from latentforge.data.spec import accepted_forms
from latentforge.data.transforms import ImageTransform

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "DEFAULT_STREAM_THRESHOLD_BYTES",
    "DataBundle",
    "FolderImageSet",
    "ImageSet",
    "ImageTransform",
    "TensorImageSet",
    "accepted_forms",
    "default_data_dir",
    "load_data",
]
