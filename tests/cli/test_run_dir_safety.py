"""The run directory is safe: the failures of issue 11, each reproduced through the CLI.

1. --out / or $HOME (with --overwrite), or a folder of other files, is refused.
2. A second writer is refused while the first holds the run (kernel lock).
4. Models too large for memory are refused before allocation (see test_preflight too).
5. checkpoints/latest pointing outside the run is refused, never followed.
6. A run killed before its first complete checkpoint can be resumed (from step 0).
7. Stale temporaries of dead processes are removed when the run is opened for writing.
8. Files are written with the user's umask.
9. --out that is a file, and --grid-size 0, are one-line errors.
(3, a full disk, is in tests/training/test_write_failures.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from latentforge.training.checkpoint import latest_checkpoint
from latentforge.training.run_dir import LOCK_NAME, RunLock
from latentforge.utils.run_logs import read_metrics
from tests.cli.test_cli import assert_one_line_error, run_cli, train_args, train_vae_run
from tests.conftest import FAST_CLI
from tests.training.fault_harness import dead_pid, ft


@pytest.fixture
def run(tmp_path, tiny_split_npz, capsys):
    train_vae_run(capsys, tiny_split_npz, tmp_path / "run")
    return tmp_path / "run"


def listing(folder):
    return sorted(os.listdir(folder))


# --- 1. where a run may be written ---------------------------------------------------------
def test_root_folder_is_refused_even_with_overwrite(capsys, tiny_split_npz):
    before = listing("/")
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, "/", "--overwrite"))
    assert_one_line_error(code, err, "root folder")
    assert listing("/") == before


def test_home_folder_is_refused_even_with_overwrite(capsys, tmp_path, monkeypatch, tiny_split_npz):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(home))
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, home, "--overwrite"))
    assert_one_line_error(code, err, "home folder")
    assert listing(home) == ["notes.txt"]


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_folder_of_other_files_is_not_used(capsys, tmp_path, tiny_split_npz, overwrite):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"not a run")
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, folder, *overwrite))
    assert_one_line_error(code, err, "not empty", "not a latentforge run", "cat.jpg")
    assert listing(folder) == ["cat.jpg"]


def test_overwrite_replaces_only_the_runs_own_files(capsys, run, tiny_split_npz):
    (run / "my-notes.txt").write_text("keep me")
    old = latest_checkpoint(run).name
    (run / "checkpoints" / "latest").write_text(old + "\n")
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, run, "--overwrite", "--epochs", "2"))
    assert code == 0, err
    assert (run / "my-notes.txt").read_text() == "keep me"
    assert latest_checkpoint(run).name != old  # the new run's, two epochs long


def test_overwrite_refuses_the_current_folder_when_it_holds_other_things(
    capsys, run, tiny_split_npz, monkeypatch
):
    (run / "thesis.tex").write_text("mine")
    monkeypatch.chdir(run)
    before = listing(run)
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, ".", "--overwrite"))
    assert_one_line_error(code, err, "current folder", "thesis.tex")
    assert listing(run) == before


def test_an_empty_folder_and_a_new_one_are_accepted(capsys, tmp_path, tiny_split_npz):
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (empty, tmp_path / "new" / "nested"):
        code, _, err = run_cli(capsys, *train_args(tiny_split_npz, out))
        assert code == 0, err
        assert (out / "config.json").is_file()


# --- 2. one writer at a time ----------------------------------------------------------------
def test_a_second_writer_is_refused_naming_the_first_and_readers_still_work(
    capsys, run, tiny_split_npz, tmp_path
):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from latentforge.training.run_dir import RunLock;"
            "RunLock(Path(sys.argv[1])); print('locked', flush=True); time.sleep(600)",
            str(run),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=ft.ENV,  # this checkout's sources
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = sorted(p.name for p in (run / "checkpoints").iterdir())
        for argv in (
            train_args(tiny_split_npz, run, "--overwrite"),
            ["train", "vae", "--resume", str(run), "--epochs", "2", "--no-progress"],
        ):
            code, _, err = run_cli(capsys, *argv)
            assert_one_line_error(code, err, "being written by process", str(holder.pid))
        assert sorted(p.name for p in (run / "checkpoints").iterdir()) == before
        code, out, err = run_cli(
            capsys, "sample", str(run), "-n", "4", "-o", str(tmp_path / "s.png")
        )
        assert code == 0, err  # a reader does not need the lock
    finally:
        holder.kill()  # kill -9: the kernel drops the lock with the process
        holder.wait()
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(run), "--epochs", "2")
    assert code == 0, err


def test_the_lock_is_released_when_training_ends(capsys, run):
    lock = RunLock(run)  # would raise if the finished run still held it
    lock.release()
    assert (run / LOCK_NAME).is_file()


# --- 4. sizes that cannot fit -----------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [["--latent-dim", "1000000000"], ["--hidden-channels", "1000000,1000000"]],
)
def test_a_model_too_large_is_refused_before_allocating(capsys, tmp_path, tiny_split_npz, options):
    argv = ["train", "vae", "--data", str(tiny_split_npz), *options, *FAST_CLI]
    code, _, err = run_cli(capsys, *argv, "--out", str(tmp_path / "big"))
    assert_one_line_error(code, err, "parameters")
    assert not (tmp_path / "big" / "config.json").exists()


def test_a_saved_config_too_large_is_refused_by_sample_and_resume(capsys, run, tmp_path):
    checkpoint = latest_checkpoint(run)
    for path in (checkpoint / "config.json", run / "config.json"):
        values = json.loads(path.read_text())
        values.get("config", values.get("model"))["latent_dim"] = 1_000_000_000
        path.write_text(json.dumps(values))
    code, _, err = run_cli(capsys, "sample", str(run), "-o", str(tmp_path / "s.png"))
    assert_one_line_error(code, err, "parameters")
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(run), "--epochs", "2")
    assert_one_line_error(code, err, "parameters")


# --- 5. checkpoint references stay inside the run ---------------------------------------------
def test_latest_pointing_outside_the_run_is_refused(capsys, run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(latest_checkpoint(run), elsewhere)
    (run / "checkpoints" / "latest").write_text("../../elsewhere\n")
    code, _, err = run_cli(capsys, "sample", str(run), "-o", str(tmp_path / "s.png"))
    assert_one_line_error(code, err, "not a checkpoint folder of this run")
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(run), "--epochs", "2")
    assert_one_line_error(code, err, "not a checkpoint folder of this run")
    assert not (tmp_path / "s.png").exists()


def test_a_checkpoint_folder_that_links_out_of_the_run_is_not_used(capsys, run, tmp_path):
    real = latest_checkpoint(run)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(real, elsewhere)
    real.symlink_to(elsewhere, target_is_directory=True)
    code, _, err = run_cli(capsys, "sample", str(run), "-o", str(tmp_path / "s.png"))
    assert_one_line_error(code, err, "not a checkpoint folder of this run")


# --- 6. a run with no complete checkpoint -------------------------------------------------------
def test_a_run_killed_before_its_first_checkpoint_starts_again(capsys, tmp_path, tiny_split_npz):
    whole = tmp_path / "whole"
    assert run_cli(capsys, *train_args(tiny_split_npz, whole))[0] == 0
    broken = tmp_path / "broken"
    assert run_cli(capsys, *train_args(tiny_split_npz, broken))[0] == 0
    # what a kill -9 during the first checkpoint leaves: the run's config and logs, the
    # checkpoint half written under its temporary name, no complete checkpoint
    checkpoint = latest_checkpoint(broken)
    dead = dead_pid()
    (checkpoint / "state.json").unlink()
    checkpoint.rename(broken / "checkpoints" / f".tmp-{checkpoint.name}-{dead}")
    (broken / "checkpoints" / "latest").unlink()
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, broken))
    assert_one_line_error(code, err, "already holds a run", "--resume")
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(broken), "--no-progress")
    assert code == 0, err
    assert "no complete checkpoint; starting again from step 0" in err
    assert listing(broken / "checkpoints") == listing(whole / "checkpoints")
    steps = [[r["step"] for r in read_metrics(run)] for run in (whole, broken)]
    assert steps[0] == steps[1]  # the dead run's records went with it
    name = latest_checkpoint(whole).name
    for file in ("model.safetensors", "state.safetensors"):
        a = load_file(str(whole / "checkpoints" / name / file))
        b = load_file(str(broken / "checkpoints" / name / file))
        assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def test_a_folder_killed_before_it_held_a_run_takes_the_same_command_again(
    capsys, tmp_path, tiny_split_npz
):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_NAME).write_text(f"{dead_pid()}\n")  # all a kill during start-up leaves
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(out))
    assert_one_line_error(code, err, "holds no run to resume", f"--out {out}")
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, out))
    assert code == 0, err


# --- 7. stale temporaries ---------------------------------------------------------------------
def test_stale_temporaries_of_dead_processes_are_removed_on_resume(capsys, run):
    dead, live = dead_pid(), os.getppid()
    checkpoints = run / "checkpoints"
    stale = [
        checkpoints / f".tmp-step-00000003-{dead}",
        checkpoints / f".old-step-00000001-{dead}",
        run / f".config.json.{dead}.abcd1234.tmp",
        run / "images" / "samples" / f".epoch-0001.png.{dead}.x_y9zz00.tmp",
    ]
    alive = [checkpoints / f".tmp-step-00000004-{live}", run / f".report.html.{live}.q1w2e3r4.tmp"]
    for path in stale + alive:
        if path.suffix == ".tmp":
            path.write_bytes(b"half")
        else:
            path.mkdir()
            (path / "model.safetensors").write_bytes(b"half")
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(run), "--epochs", "2")
    assert code == 0, err
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in alive)  # a live process's file is not ours to delete


# --- 8. the umask ------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_files_get_the_mode_the_umask_gives(capsys, tmp_path, tiny_split_npz, umask):
    old = os.umask(umask)
    try:
        out = tmp_path / "run"
        assert run_cli(capsys, *train_args(tiny_split_npz, out))[0] == 0
        assert run_cli(capsys, "sample", str(out), "-n", "4", "-o", str(tmp_path / "s.png"))[0] == 0
    finally:
        os.umask(old)
    checkpoint = latest_checkpoint(out)
    files = [
        out / "config.json",
        out / "report.html",
        checkpoint / "model.safetensors",
        checkpoint / "state.json",
        out / "checkpoints" / "latest",
        next((out / "images").rglob("*.png")),
        tmp_path / "s.png",
    ]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


# --- 9. small things ----------------------------------------------------------------------------
def test_out_that_is_a_file_is_one_line(capsys, tmp_path, tiny_split_npz):
    target = tmp_path / "results.txt"
    target.write_text("mine")
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, target))
    assert_one_line_error(code, err, "is a file, not a folder")
    assert target.read_text() == "mine"


def test_grid_size_zero_is_refused(capsys, tmp_path, tiny_split_npz):
    code, _, err = run_cli(capsys, *train_args(tiny_split_npz, tmp_path / "r", "--grid-size", "0"))
    assert_one_line_error(code, err, "--grid-size must be >= 1")
