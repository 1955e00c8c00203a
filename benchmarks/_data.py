"""Where the benchmark scripts find the real datasets, by the one rule of a source checkout
(``latentforge.data.sources.checkout_data_dir``): ``--data-dir``, else ``$LATENTFORGE_DATA``,
else ``../shared/datasets`` beside the repository."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.data.sources import checkout_data_dir

FASHION_MNIST = "fashion-mnist.npz"
ORL_FACES = "orl-faces.npz"


def add_data_options(parser: argparse.ArgumentParser, file: str | None = None) -> None:
    """``--data-dir`` and, for a benchmark that reads one dataset file, ``--data``."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="PATH",
        help="folder with the real datasets (default: $LATENTFORGE_DATA, else "
        "../shared/datasets beside the repository)",
    )
    if file is not None:
        parser.add_argument(
            "--data",
            type=Path,
            default=None,
            metavar="PATH",
            help=f"the dataset file (default: {file} in the --data-dir folder)",
        )


def data_dir(args: argparse.Namespace) -> Path:
    """The datasets folder ``args.data_dir`` or the rule names; exits with a one-line message
    when there is none."""
    folder = checkout_data_dir(args.data_dir)
    if folder is None:
        raise SystemExit(
            "no datasets folder: give --data-dir, set $LATENTFORGE_DATA, or put the datasets "
            "in ../shared/datasets beside the repository"
        )
    return folder


def dataset_file(args: argparse.Namespace, file: str) -> Path:
    """``--data`` when given, else ``file`` in the datasets folder."""
    given = getattr(args, "data", None)
    return Path(given) if given is not None else data_dir(args) / file
