"""Fault trials on real ``latentforge train`` processes: kill -9, a full disk, two writers.

Shared by ``benchmarks/faults.py`` (the full table) and ``tests/training/test_faults.py``
(a small version of it). Every trial runs the command line in a child process, breaks it,
recovers the way a user would, and compares the run's final checkpoint byte for byte with
that of an unbroken run of the same command:

- kill: ``kill -9`` at a moment drawn at random, or the moment a checkpoint folder (or the
  ``latest`` pointer) starts being written; then ``--resume`` (or, where the kill came before
  the folder held a run, the same command again).
- disk full: the run lives on a small tmpfs (where mounting one is permitted) that is filled
  after the first checkpoint; ``--resume`` must fail in one line with exit 2, leave no
  temporary file and keep ``latest`` loadable; after space is freed, ``--resume`` finishes.
- two writers: a second ``train --overwrite`` and a ``--resume`` of the same folder while the
  first trains must exit 2 naming its process, a ``sample`` (a reader) must work meanwhile, and
  the first run must end as if alone.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

COMMON = [
    "--batch-size",
    "64",
    "--no-progress",
    "--no-tensorboard",
    "--num-workers",
    "0",
    "--device",
    "cpu",
    "--log-every",
    "2",
]
MODEL_OPTIONS = {
    "vae": ["--latent-dim", "4", "--hidden-channels", "8,16"],
    "dcgan": ["--z-dim", "8", "--g-channels", "16,8", "--d-channels", "8,16"],
}
COMPARED = ("model.safetensors", "state.safetensors", "train_weights.safetensors")
# The child processes run this checkout's sources, whatever is installed.
SOURCES = str(Path(__file__).resolve().parents[1] / "src")
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [SOURCES, os.environ.get("PYTHONPATH")])),
}


@dataclass
class Setup:
    """One run to break: the model, its length, how often it checkpoints, the data."""

    model: str = "vae"
    epochs: int = 2
    checkpoint_every: int = 5
    data: tuple[str, ...] = ("--data", "sample", "--classes", "0")

    def train_args(self, out: Path) -> list[str]:
        return [
            "train",
            self.model,
            *MODEL_OPTIONS[self.model],
            *self.data,
            *COMMON,
            "--epochs",
            str(self.epochs),
            "--checkpoint-every",
            str(self.checkpoint_every),
            "--out",
            str(out),
        ]


@dataclass
class Trial:
    kind: str  # "random", "checkpoint", "latest", "disk-full", "two-writers"
    moment: str  # when the fault came
    landed: bool = True  # the fault came while the run was still going
    recovery: str = ""  # what was run afterwards
    identical: bool = False  # final checkpoint == the unbroken run's
    usable: bool = False  # the folder could be continued to the end
    held: bool = False  # every expectation of the trial held
    note: str = ""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "latentforge", *args]


def run_cli(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=timeout, env=ENV)


def fingerprint(run_dir: Path) -> dict[str, str] | None:
    """sha256 of the final checkpoint's weight and state files, by name (None: no checkpoint)."""
    pointer = run_dir / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    checkpoint = run_dir / "checkpoints" / pointer.read_text().strip()
    found = {"checkpoint": checkpoint.name}
    for name in COMPARED:
        if (checkpoint / name).is_file():
            found[name] = hashlib.sha256((checkpoint / name).read_bytes()).hexdigest()
    return found


def reference(setup: Setup, root: Path) -> tuple[dict[str, str], float]:
    """The unbroken run's fingerprint, and the seconds it trained: from the moment its folder
    held a run (``config.json``) to the end of the command."""
    out = root / f"reference-{setup.model}"
    process = subprocess.Popen(
        cli(*setup.train_args(out)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV
    )
    _wait_for(process, (out / "config.json").is_file, 600)
    start = time.perf_counter()
    _, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the unbroken run failed: {err.decode().strip()[-500:]}")
    return fingerprint(out), time.perf_counter() - start


def temporaries(run_dir: Path) -> list[str]:
    """Temporary files or folders left in the run (names starting .tmp- / .old- / ending .tmp)."""
    return [
        str(Path(folder, name).relative_to(run_dir))
        for folder, dirs, files in os.walk(run_dir)
        for name in [*dirs, *files]
        if name.startswith((".tmp-", ".old-")) or name.endswith(".tmp")
    ]


def _wait_for(process: subprocess.Popen, found, timeout: float) -> bool:
    """Poll (every 0.5 ms) until ``found()`` is true; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.0005)
    return False


def _writing(checkpoints: Path, prefix: str, seen: set[str], nth: int):
    """A test for the ``nth`` new entry of ``checkpoints`` whose name starts with ``prefix``."""

    def found() -> bool:
        try:
            names = os.listdir(checkpoints)
        except FileNotFoundError:
            return False
        seen.update(n for n in names if n.startswith(prefix))
        return len(seen) >= nth

    return found


def kill_trial(setup: Setup, root: Path, expected: dict, kind: str, value: float) -> Trial:
    """Start the run, kill -9 it at the moment ``kind``/``value`` names, recover, compare.

    ``kind``: "random" (``value`` seconds after the folder holds a run: data loaded, model
    built, ``config.json`` written; before that a kill leaves nothing to resume), "startup"
    (``value`` seconds after the command started), "checkpoint" (when the
    ``value``-th checkpoint folder starts being written), "latest" (when the ``value``-th
    ``latest`` pointer starts being written).
    """
    out = root / f"{setup.model}-{kind}-{value:g}-{random.random():.6f}"
    process = subprocess.Popen(
        cli(*setup.train_args(out)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV
    )
    checkpoints = out / "checkpoints"
    if kind in ("random", "startup"):
        if kind == "random":
            _wait_for(process, (out / "config.json").is_file, 600)
        try:
            process.wait(timeout=value)
            hit = False
        except subprocess.TimeoutExpired:
            hit = True
        moment = f"{value:.2f} s after {'the run began' if kind == 'random' else 'start'}"
    else:
        prefix = ".tmp-step-" if kind == "checkpoint" else ".latest."
        hit = _wait_for(process, _writing(checkpoints, prefix, set(), int(value)), 600)
        moment = f"writing {'checkpoint' if kind == 'checkpoint' else 'latest'} #{int(value)}"
    if hit and process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    trial = Trial(kind, moment if hit else f"{moment} (run ended first)", landed=hit)
    return recover(setup, out, expected, trial)


def recover(setup: Setup, out: Path, expected: dict, trial: Trial) -> Trial:
    """Continue a broken run as a user would and compare its ending with the unbroken run."""
    if (out / "config.json").is_file():
        trial.recovery = "--resume"
        done = run_cli(["train", setup.model, "--resume", str(out), "--no-progress"])
    else:
        trial.recovery = "same command again (no run in the folder yet)"
        done = run_cli(setup.train_args(out))
    trial.usable = done.returncode == 0
    if not trial.usable:
        trial.note = (done.stderr.strip().splitlines() or ["(no message)"])[-1][:200]
    trial.identical = trial.usable and fingerprint(out) == expected
    left = temporaries(out)
    if left:
        trial.note = f"temporaries left: {left[:3]}"
    trial.held = trial.usable and trial.identical and not left
    return trial


def one_line_error(done: subprocess.CompletedProcess) -> bool:
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr


def can_mount_tmpfs() -> bool:
    probe = Path(tempfile.mkdtemp(prefix="lf-mount-probe-"))
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True
        )
        if mounted.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` but ``leave`` bytes; return the filler file."""
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    with open(filler, "rb+") as handle:
        handle.truncate(max(0, filler.stat().st_size - leave))
    return filler


def disk_full_trial(setup: Setup, root: Path, expected: dict, size_mb: int = 64) -> Trial:
    """Train to the first checkpoint on a small tmpfs, fill it, resume (must fail cleanly),
    free the space, resume (must finish as the unbroken run did)."""
    mount = root / f"tmpfs-{setup.model}"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)], check=True
    )
    trial = Trial("disk-full", "after the first checkpoint, 4 KB left")
    try:
        out = mount / "run"
        first = run_cli(setup.train_args(out) + ["--max-steps", str(setup.checkpoint_every)])
        before = fingerprint(out)
        filler = fill(mount, leave=4096)
        done = run_cli(["train", setup.model, "--resume", str(out), "--no-progress"])
        clean = one_line_error(done) and not temporaries(out) and fingerprint(out) == before
        message = done.stderr.strip()
        filler.unlink()
        trial = recover(setup, out, expected, trial)
        trial.held = trial.held and first.returncode == 0 and clean
        trial.note = (trial.note + " " if trial.note else "") + f"full disk said: {message[:160]}"
        shutil.copytree(out, root / f"disk-full-{setup.model}")
    finally:
        subprocess.run(["umount", str(mount)], check=False)
    return trial


def two_writers_trial(setup: Setup, root: Path, expected: dict) -> Trial:
    """A second writer (``--overwrite``, then ``--resume``) while the first trains; a reader.

    The first writer is paused (SIGSTOP, lock held) after its first checkpoint while the others
    run, so a tiny run cannot finish before they start; it then continues (SIGCONT)."""
    out = root / f"two-writers-{setup.model}"
    first = subprocess.Popen(
        cli(*setup.train_args(out)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    trial = Trial("two-writers", "while the first writer trains")
    checks = []
    if _wait_for(first, lambda: (out / "checkpoints" / "latest").is_file(), 600):
        os.kill(first.pid, signal.SIGSTOP)
        for args in (
            setup.train_args(out) + ["--overwrite"],
            ["train", setup.model, "--resume", str(out), "--no-progress"],
        ):
            done = run_cli(args)
            checks.append(one_line_error(done) and f"process {first.pid}" in done.stderr)
            trial.note += done.stderr.strip()[:120] + " | "
        sample = run_cli(["sample", str(out), "-n", "4", "-o", str(root / "read.png")])
        checks.append(sample.returncode == 0)
        os.kill(first.pid, signal.SIGCONT)
    first.wait()
    trial.recovery = "none (the first writer finishes alone)"
    trial.usable = first.returncode == 0
    trial.identical = fingerprint(out) == expected
    trial.held = trial.usable and trial.identical and len(checks) == 3 and all(checks)
    return trial


def as_dict(trial: Trial) -> dict:
    return asdict(trial)
