"""Atomic file writes: write beside the target, flush, then ``os.replace``.

A reader sees either the old file or the new one, never half of one, so a crash or a
NaN stop never corrupts what was saved before. A write that fails (no space left, no
permission, a read-only disk) removes its temporary file and raises
:class:`~latentforge.errors.StorageError` naming the file; the target is left as it was.

Temporary names carry the writer's process id (``.NAME.PID.XXXXXXXX.tmp`` for files,
``.old-NAME-PID`` for folders set aside), so the temporaries of a process that died can be
told apart from those of a live one (see ``latentforge.training.run_dir``). Files get the
mode the user's umask gives a new file, like any file ``open`` creates.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latentforge.errors import CheckpointError, StorageError


def current_umask() -> int:
    """The process umask (read by setting it and putting it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temporary_prefix(path: Path) -> str:
    """The name prefix of ``path``'s temporary files written by this process."""
    return f".{path.name}.{os.getpid()}."


_HINTS = {
    errno.ENOSPC: "free some space and try again",
    errno.EDQUOT: "free some space (disk quota) and try again",
    errno.EACCES: "check the folder's permissions or choose another one",
    errno.EPERM: "check the folder's permissions or choose another one",
    errno.EROFS: "the disk is read-only; choose another folder",
}


def storage_error(err: OSError, path: str | Path, what: str = "write") -> StorageError:
    """One line for a failed write: the file, the reason and the fix."""
    reason = err.strerror or str(err)
    hint = _HINTS.get(err.errno or 0, "check the disk and the folder")
    return StorageError(f"could not {what} {path}: {reason}; {hint}")


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically."""
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent
        )
        tmp = Path(tmp_name)
        os.close(fd)
        write(tmp)
        # mkstemp (and writers that replace the file, like safetensors) make 0600: use the umask
        os.chmod(tmp, 0o666 & ~current_umask())
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        _discard(tmp)
        raise storage_error(err, path) from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: Path | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def append_text(path: str | Path, text: str) -> None:
    """Append ``text`` to ``path`` (a log); a failed write raises :class:`StorageError`.

    A failure may leave a torn last line; readers of such logs skip it.
    """
    try:
        with open(path, "a") as handle:
            handle.write(text)
    except OSError as err:
        raise storage_error(err, path) from None


def aside_name(final: Path) -> Path:
    """Where ``final`` is moved before it is deleted or replaced (one name per process)."""
    return final.with_name(f".old-{final.name}-{os.getpid()}")


def remove_dir(folder: str | Path) -> None:
    """Delete ``folder`` as one step for readers: rename it aside, then delete the aside copy.

    A kill during the deletion leaves a hidden ``.old-*`` folder (removed when the run is next
    opened for writing), never a half-deleted folder under the real name.
    """
    folder = Path(folder)
    if not folder.exists():
        return
    aside = aside_name(folder)
    shutil.rmtree(aside, ignore_errors=True)
    os.replace(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


def replace_dir(staged: str | Path, final: str | Path) -> Path:
    """Move the complete folder ``staged`` to ``final``, replacing any folder already there.

    The old folder is renamed aside first and deleted only after ``staged`` is in place, so at
    every moment either the old or the new folder is complete on disk (the old one under its
    aside name during the two renames).
    """
    staged, final = Path(staged), Path(final)
    aside = aside_name(final)
    if aside.exists():
        shutil.rmtree(aside)
    had_old = final.exists()
    if had_old:
        os.replace(final, aside)
    try:
        os.replace(staged, final)
    except BaseException:
        if had_old:
            os.replace(aside, final)  # the old folder goes back where it was
        raise
    shutil.rmtree(aside, ignore_errors=True)
    return final


def read_json(path: Path, what: str = "file") -> Any:
    if not path.is_file():
        raise CheckpointError(f"missing {what} {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}); the {what} is corrupt") from None
