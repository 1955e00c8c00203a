"""Atomic file writes: write beside the target, flush, then ``os.replace``.

A reader sees either the old file or the new one, never half of one, so a crash or a
NaN stop never corrupts what was saved before.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latentforge.errors import CheckpointError


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def replace_dir(staged: str | Path, final: str | Path) -> Path:
    """Move the complete folder ``staged`` to ``final``, replacing any folder already there.

    The old folder is renamed aside first and deleted only after ``staged`` is in place, so at
    every moment either the old or the new folder is complete on disk (the old one under its
    aside name during the two renames).
    """
    staged, final = Path(staged), Path(final)
    aside = final.with_name(f".old-{final.name}-{os.getpid()}")
    if aside.exists():
        shutil.rmtree(aside)
    if final.exists():
        os.replace(final, aside)
    os.replace(staged, final)
    shutil.rmtree(aside, ignore_errors=True)
    return final


def read_json(path: Path, what: str = "file") -> Any:
    if not path.is_file():
        raise CheckpointError(f"missing {what} {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}); the {what} is corrupt") from None
