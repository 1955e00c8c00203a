"""What a ``--data`` value names: a registered dataset, a ``SCHEME:ARGUMENT`` form (image
pairs), an ``.npz`` file or a folder of images. ``open_source`` finds it; a form may wrap
another ``--data`` value (``edges:SPEC``) and opens it through the same function.
"""

from __future__ import annotations

from pathlib import Path

from latentforge.data.folder import load_folder
from latentforge.data.npz import read_npz
from latentforge.data.sources import DATA_SCHEMES, DATASETS, LoadRequest, Source
from latentforge.errors import DataError


def accepted_forms() -> str:
    names = ", ".join(DATASETS.names())
    schemes = ", ".join(f"{name}:..." for name in DATA_SCHEMES.names())
    return (
        f"--data accepts a dataset name ({names}), the path of an .npz file (arrays x or "
        "x_train/x_test, optional y/y_train/y_test), the path of a folder of images, or an "
        f"image-pair form ({schemes}; see docs/data.md)"
    )


def open_source(spec: str | Path, request: LoadRequest) -> Source:
    """The source ``spec`` names: a registered dataset first, then a ``SCHEME:ARGUMENT`` form
    (image pairs), else an ``.npz`` file or a folder."""
    key = str(spec).strip().lower()
    if key in DATASETS:
        return DATASETS.get(key)(request)
    scheme, colon, argument = str(spec).strip().partition(":")
    if colon and scheme.lower() in DATA_SCHEMES:
        return DATA_SCHEMES.get(scheme.lower())(argument, request)
    path = Path(spec).expanduser()
    if path.is_dir():
        return load_folder(path, request)
    if path.is_file() and path.suffix.lower() == ".npz":
        return read_npz(path)
    what = "is a file but not an .npz archive" if path.is_file() else "does not exist"
    raise DataError(
        f"--data {str(spec)!r}: no dataset has that name and the path {what}. {accepted_forms()}"
    )
