"""Data for verbs that use a trained run: the run's own data by default, or ``--data``, loaded
in the shape the model expects."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.options import _int_tuple
from latentforge.data.base import DataBundle, ImageSet
from latentforge.errors import ShapeError
from latentforge.evaluation.run import run_seed
from latentforge.models.base import GenerativeModel
from latentforge.training.run import RUN_CONFIG, DataConfig, RunConfig

SPLITS = ("train", "val", "test")


def _is_run(path: Path) -> bool:
    return (path / RUN_CONFIG).is_file() and (path / "checkpoints").is_dir()


def run_data_config(path: Path) -> DataConfig:
    """The data options a run was trained with (defaults for a bare saved model)."""
    return RunConfig.read(path).data if _is_run(path) else DataConfig()


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
    saved = run_data_config(args.run)
    own = args.data is None
    classes = args.classes
    if classes is None and own and inherit_classes:
        classes = saved.classes
    config = DataConfig(
        spec=saved.spec if own else args.data,
        data_dir=args.data_dir or saved.data_dir,
        image_size=tuple(model.config.image_size),
        channels=model.config.in_channels,
        val_fraction=saved.val_fraction if args.val_fraction is None else args.val_fraction,
        download=saved.download,
        classes=classes,
    )
    bundle = config.load(seed=run_seed(args.run))
    images = bundle.split(args.split)
    expected = (model.config.in_channels, *model.config.image_size)
    if images.shape != expected:
        raise ShapeError(f"data images are {images.shape}, the model expects {expected}")
    return bundle, images
