"""A write that fails (full disk, no permission) ends in one line with exit 2, leaves no
temporary file, and keeps ``latest`` on the last complete checkpoint, which stays loadable.

The full disk is real where the test may mount a small tmpfs; everywhere, the same failure is
injected by making the write raise ``ENOSPC`` / ``EACCES`` (tests run as root, whom chmod
does not stop).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors import SafetensorError

import latentforge.utils.weights as model_base
from latentforge.errors import StorageError
from latentforge.training.checkpoint import latest_checkpoint, load_model, save_checkpoint
from latentforge.utils import files
from latentforge.utils.files import atomic_write_text
from tests.cli.test_cli import assert_one_line_error, run_cli, train_args, train_vae_run
from tests.training.fault_harness import ft


def resume_args(out, epochs=2):
    return ["train", "vae", "--resume", str(out), "--epochs", str(epochs), "--no-progress"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path, monkeypatch):
    target = tmp_path / "config.json"
    atomic_write_text(target, "old")

    def full(self, data):
        Path(self).write_text("half")  # a part of the file got written, then the disk filled
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(StorageError, match=r"could not write .*config.json: No space left"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_safetensors_disk_full_becomes_a_storage_error(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left (os error 28)")

    monkeypatch.setattr(model_base, "save_file", full)
    with pytest.raises(StorageError, match="No space left on device; free some space"):
        model_base.save_weights(tmp_path / "w.safetensors", {"a": torch.zeros(3)})
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def run(tmp_path, tiny_split_npz, capsys):
    train_vae_run(capsys, tiny_split_npz, tmp_path / "run")
    return tmp_path / "run"


def failing_checkpoint_writes(monkeypatch, number: int, after: int = 0):
    """From the ``after``-th safetensors file on, writes fail with OS error ``number``."""
    real = model_base.save_file
    calls = []

    def save_file(tensors, path, metadata=None):
        calls.append(path)
        if len(calls) > after:
            Path(path).write_bytes(b"half")  # as far as it got
            raise SafetensorError(f"Error while serializing: I/O error: (os error {number})")
        real(tensors, path, metadata=metadata)

    monkeypatch.setattr(model_base, "save_file", save_file)


@pytest.mark.parametrize(
    "number,after,fragments",
    [
        (errno.ENOSPC, 0, ["No space left on device", "free some space"]),
        (errno.ENOSPC, 1, ["No space left on device"]),  # the second file of the checkpoint
        (errno.EACCES, 0, ["Permission denied", "check the folder's permissions"]),
    ],
)
def test_a_checkpoint_that_cannot_be_written_keeps_the_last_one(
    capsys, run, monkeypatch, number, after, fragments
):
    kept = latest_checkpoint(run)
    failing_checkpoint_writes(monkeypatch, number, after)
    code, _, err = run_cli(capsys, *resume_args(run))
    assert_one_line_error(code, err, *fragments, f"{kept.name}, is kept", "--resume")
    monkeypatch.undo()
    assert ft.temporaries(run) == []
    assert latest_checkpoint(run) == kept
    load_model(run)  # still loadable
    code, _, err = run_cli(capsys, *resume_args(run))
    assert code == 0, err
    assert latest_checkpoint(run) != kept


def test_a_run_folder_that_cannot_be_created_is_one_line(capsys, tmp_path, monkeypatch):
    real = Path.mkdir

    def denied(self, *args, **kwargs):
        if self.name == "new-run":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", denied)
    code, _, err = run_cli(capsys, *train_args("sample", tmp_path / "new-run"))
    assert_one_line_error(code, err, "Permission denied", "new-run")


def test_a_checkpoint_over_the_same_step_keeps_the_old_copy_until_the_new_is_whole(
    tmp_path, monkeypatch
):
    from latentforge.models.base import build_model

    model = build_model("vae", {"latent_dim": 2, "hidden_channels": (4,), "image_size": (8, 8)})
    first = save_checkpoint(tmp_path, model, 3, {"x": torch.ones(1)})
    before = (first / "model.safetensors").read_bytes()
    monkeypatch.setattr(files.os, "replace", _fail_renaming_into(first))
    with pytest.raises(StorageError):
        save_checkpoint(tmp_path, model, 3, {"x": torch.zeros(1)})
    monkeypatch.undo()
    assert (first / "model.safetensors").read_bytes() == before
    assert latest_checkpoint(tmp_path) == first and ft.temporaries(tmp_path) == []


def _fail_renaming_into(final: Path):
    """``os.replace`` that fails once: when the new checkpoint is moved into ``final``."""
    real = os.replace

    def replace(src, dst):
        if Path(dst) == final and Path(src).name.startswith(".tmp-"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    return replace


# --- a real full disk: a small tmpfs --------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_ends_in_one_line_and_loses_nothing(capsys, small_disk, tiny_split_npz):
    out = small_disk / "run"
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, out))
    assert code == 0, err
    kept = latest_checkpoint(out)
    filler = ft.fill(small_disk, leave=4096)
    code, _, err = run_cli(capsys, *resume_args(out))
    assert_one_line_error(code, err, "No space left on device")
    assert ft.temporaries(out) == []
    assert latest_checkpoint(out) == kept
    load_model(out)
    filler.unlink()
    code, _, err = run_cli(capsys, *resume_args(out))
    assert code == 0, err
    shutil.rmtree(out)


def test_a_log_line_that_cannot_be_written_is_one_line(capsys, run, monkeypatch):
    kept = latest_checkpoint(run)
    real_open = open

    def full(path, mode="r", *args, **kwargs):
        if Path(path).name == "metrics.jsonl" and "a" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", full, raising=False)
    code, _, err = run_cli(capsys, *resume_args(run))
    assert_one_line_error(code, err, "metrics.jsonl: No space left on device")
    assert latest_checkpoint(run) == kept and ft.temporaries(run) == []
