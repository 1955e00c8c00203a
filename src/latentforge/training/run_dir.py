"""The run directory as a place to write: which folders may hold a run, one writer at a time,
and what a killed writer left behind.

- ``--out`` must be a new folder, an empty folder, or a latentforge run. ``--overwrite``
  replaces only a run's own files (``RUN_ENTRIES``) and never touches anything else.
- The writer holds an OS lock (``fcntl.flock``) on ``RUN/.lock`` for its whole life; the
  kernel releases it when the process ends, however it ends. The file records the holder's
  process id so a second writer can name it. Readers (``sample``, ``evaluate``) never take it.
- Temporary files and folders carry their writer's process id; those of processes that are
  no longer alive are removed when the run is opened for writing.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from pathlib import Path

from latentforge.errors import ConfigError, RunLocked
from latentforge.training.checkpoint import CHECKPOINTS, LATEST, STATE_JSON, TMP_PREFIX
from latentforge.utils.files import storage_error
from latentforge.utils.run_logs import METRICS_FILE, WARNINGS_FILE
from latentforge.viz.report import EVALUATION_FILE, REPORT_NAME

RUN_CONFIG = "config.json"
LOCK_NAME = ".lock"
RUN_FILES = (RUN_CONFIG, METRICS_FILE, WARNINGS_FILE, EVALUATION_FILE, REPORT_NAME)
RUN_FOLDERS = (CHECKPOINTS, "images", "tensorboard")
RUN_ENTRIES = frozenset((*RUN_FILES, *RUN_FOLDERS, LOCK_NAME))

# Temporaries named by ``latentforge.utils.files`` and ``checkpoint``: the writer's pid is in them.
_TEMPORARY = (
    re.compile(r"\..+\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp"),  # .NAME.PID.XXXXXXXX.tmp
    re.compile(r"\.old-.+-(?P<pid>\d+)"),  # .old-NAME-PID
    re.compile(re.escape(TMP_PREFIX) + r".+-(?P<pid>\d+)"),  # .tmp-step-00000100-PID
)


def is_run(folder: Path) -> bool:
    """Whether ``folder`` holds a latentforge run: its run config, or its checkpoints."""
    config = folder / RUN_CONFIG
    if config.is_file() and _looks_like_run_config(config):
        return True
    root = folder / CHECKPOINTS
    return root.is_dir() and (
        (root / LATEST).is_file() or any((p / STATE_JSON).is_file() for p in root.glob("step-*"))
    )


def _looks_like_run_config(path: Path) -> bool:
    try:
        values = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(values, dict) and {"model_type", "model", "data", "train"} <= set(values)


def foreign_entries(folder: Path, run: bool) -> list[str]:
    """Names in ``folder`` that are not the run's own, sorted. In a folder that holds no run
    yet, everything but the lock file is someone else's (a ``config.json`` or ``checkpoints/``
    of another tool too)."""
    mine = RUN_ENTRIES if run else {LOCK_NAME}
    return sorted(name for name in os.listdir(folder) if name not in mine)


def check_out_dir(folder: Path, overwrite: bool) -> None:
    """Refuse an ``--out`` that is not a new folder, an empty folder or a run (see module doc).

    Writes nothing; ``open_for_writing`` repeats the check once it holds the lock.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file, not a folder; choose a folder path")
    where = folder.resolve()
    if where == Path(where.anchor):
        raise ConfigError(f"--out {folder} is the root folder; choose a new folder such as runs/")
    if where == Path.home().resolve():
        raise ConfigError(
            f"--out {folder} is your home folder; choose a new folder inside it such as ~/runs/"
        )
    if not folder.is_dir():
        return
    run = is_run(folder)
    others = foreign_entries(folder, run)
    if run:
        if not overwrite:
            raise ConfigError(
                f"{folder} already holds a run; continue it with --resume {folder}, "
                "start over with --overwrite, or choose another --out"
            )
        if others and where == Path.cwd().resolve():
            raise ConfigError(
                f"--overwrite refuses the current folder {folder}: it also holds {others[0]!r} "
                "and other things; give the run's own folder"
            )
    elif others:
        what = "--overwrite replaces only a latentforge run, and " if overwrite else ""
        raise ConfigError(
            f"{what}{folder} is not empty and is not a latentforge run (it holds "
            f"{others[0]!r}); choose a new or empty folder for --out"
        )


class RunLock:
    """An exclusive ``flock`` on ``RUN/.lock``, held until ``release`` (or the process ends)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise storage_error(err, self.path, "create the lock file") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(self.fd)
            os.close(self.fd)
            who = f"process {holder}" if holder else "another process"
            raise RunLocked(
                f"{run_dir} is being written by {who}; wait for it to finish, stop it, "
                "or choose another --out"
            ) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor drops the lock
            self.fd = -1


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def clear_run_files(run_dir: Path, keep_config: bool = False) -> None:
    """Delete the run's own files and folders (nothing else): for --overwrite, or a restart."""
    for name in RUN_FOLDERS:
        shutil.rmtree(run_dir / name, ignore_errors=True)
    for name in RUN_FILES:
        if not (keep_config and name == RUN_CONFIG):
            (run_dir / name).unlink(missing_ok=True)


def remove_stale_temporaries(run_dir: Path) -> list[Path]:
    """Remove the temporary files and folders of dead processes inside the run; return them."""
    removed = []
    for folder, dirs, files in os.walk(run_dir):
        for name in [*dirs, *files]:
            pid = _temporary_pid(name)
            if pid is None or _alive(pid):
                continue
            path = Path(folder) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _temporary_pid(name: str) -> int | None:
    for pattern in _TEMPORARY:
        match = pattern.fullmatch(name)
        if match:
            return int(match["pid"])
    return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def open_for_writing(run_dir: Path, *, new: bool, overwrite: bool = False) -> RunLock:
    """Lock ``run_dir`` for this process and tidy it.

    ``new``: a run starts here (the folder is checked, and cleared with ``overwrite``);
    otherwise the folder holds the run being resumed.
    """
    if new:
        check_out_dir(run_dir, overwrite)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise storage_error(err, run_dir, "create the run folder") from None
    lock = RunLock(run_dir)
    try:
        if new:
            check_out_dir(run_dir, overwrite)  # again: another writer may have finished since
            if is_run(run_dir):
                clear_run_files(run_dir)
        remove_stale_temporaries(run_dir)
    except BaseException:
        lock.release()
        raise
    return lock
