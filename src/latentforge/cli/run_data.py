"""Data for verbs that use a trained run: the run's own data by default, or ``--data``, loaded
in the shape the model expects."""

from __future__ import annotations

import argparse

from latentforge.cli.options import _int_tuple
from latentforge.data.base import DataBundle, ImageSet
from latentforge.errors import ShapeError
from latentforge.evaluation.run import model_data_config, run_seed, saved_data_config
from latentforge.models.base import GenerativeModel

SPLITS = ("train", "val", "test")


def add_data_arguments(parser: argparse.ArgumentParser, split: str, data_help: str) -> None:
    """``--data``, ``--data-dir``, ``--split``, ``--val-fraction`` and ``--classes`` for a verb
    that reads images."""
    parser.add_argument("--data", default=None, help=data_help)
    parser.add_argument("--data-dir", default=None, metavar="PATH", help="where full datasets live")
    parser.add_argument(
        "--split", default=split, choices=SPLITS, help=f"which split (default: {split})"
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=None,
        metavar="FLOAT",
        help="validation hold-out of the train split (default: the run's; 0 keeps it whole)",
    )
    parser.add_argument(
        "--classes",
        type=_int_tuple,
        metavar="N,N,...",
        default=None,
        help="keep only these class ids (in the train and val splits)",
    )


def load_split(
    args: argparse.Namespace, model: GenerativeModel, inherit_classes: bool = False
) -> ImageSet:
    """The images ``args`` name, resized and converted to the model's image shape."""
    return load_bundle_split(args, model, inherit_classes)[1]


def load_bundle_split(
    args: argparse.Namespace, model: GenerativeModel, inherit_classes: bool = False
) -> tuple[DataBundle, ImageSet]:
    """The dataset ``args`` name and its split ``args.split``, at the model's image shape.

    Without ``--data`` the run's own dataset is used (with ``inherit_classes`` also its
    ``--classes``). The validation hold-out is the run's, drawn with the run's seed, so
    ``--split train`` / ``val`` are the run's splits, unless ``--val-fraction`` says otherwise.
    """
    classes = args.classes
    if classes is None and not args.data and inherit_classes:
        classes = saved_data_config(args.run).classes
    config = model_data_config(
        args.run,
        model,
        args.data,
        args.data_dir,
        val_fraction=args.val_fraction,
        classes=classes,
    )
    bundle = config.load(seed=run_seed(args.run))
    images = bundle.split(args.split)
    expected = (model.config.in_channels, *model.config.image_size)
    if images.shape != expected:
        raise ShapeError(f"data images are {images.shape}, the model expects {expected}")
    return bundle, images
