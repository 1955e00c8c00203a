"""What a data source returns before the validation split, and the registry of named sources."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from latentforge.data.base import ImageSet
from latentforge.data.transforms import ImageTransform
from latentforge.registry import Registry
from latentforge.utils.cache import folder_from_env

DEFAULT_STREAM_THRESHOLD_BYTES = 2 * 1024**3
"""Image folders whose decoded images would take more bytes than this are streamed from disk."""

DATA_DIR_ENV = "LATENTFORGE_DATA"


def default_data_dir() -> Path:
    """``$LATENTFORGE_DATA``, else ``$XDG_CACHE_HOME/latentforge``, else ``~/.cache/latentforge``.

    An empty variable counts as unset.
    """
    return folder_from_env(DATA_DIR_ENV)


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The directory the standard datasets live in: ``data_dir`` if given, else the default."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
"""The source checkout this module lives in (``src/latentforge/data/`` -> the repository)."""


def checkout_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """Where tests and benchmarks of a source checkout find the real datasets.

    The rule, first that applies: ``data_dir`` (a benchmark's ``--data-dir``), else
    ``$LATENTFORGE_DATA``, else ``../shared/datasets`` relative to the repository when that
    folder exists; ``None`` when none does (tests that need real data then skip, and say so).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    chosen = os.environ.get(DATA_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser()
    beside = REPOSITORY_ROOT.parent / "shared" / "datasets"
    return beside if beside.is_dir() else None


@dataclass(frozen=True)
class LoadRequest:
    """Everything a source needs to know besides its own name or path."""

    data_dir: Path
    download: bool = True
    transform: ImageTransform = field(default_factory=ImageTransform)
    stream_threshold_bytes: int = DEFAULT_STREAM_THRESHOLD_BYTES


@dataclass
class Source:
    """A data source as read: a train split, maybe a test split, and what is known about them."""

    name: str
    train: ImageSet
    test: ImageSet | None = None
    class_names: list[str] | None = None
    extra: dict[str, str] = field(default_factory=dict)
    transformed: bool = False
    """True when the source applied the request's transform itself (image pairs, whose
    stacked channels a whole-image transform must not touch)."""


DATASETS: Registry[Callable[[LoadRequest], Source]] = Registry("dataset")
"""Named data sources (``sample``, ``fashion-mnist``, ...): ``name -> loader(request)``."""

DATA_SCHEMES: Registry[Callable[[str, LoadRequest], Source]] = Registry("data scheme")
"""``--data SCHEME:ARGUMENT`` forms (``paired:A,B``, ``edges:SPEC``, ...):
``scheme -> loader(argument, request)``."""
