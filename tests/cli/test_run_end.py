"""A run stopped inside an epoch, by --max-steps or by Ctrl-C, ends as an epoch does:
training and validation numbers in metrics.jsonl, image grids, a checkpoint, and a report
with pictures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from latentforge.cli import main
from latentforge.data import load_data
from latentforge.training.checkpoint import latest_checkpoint, load_model
from tests.training.processes import wait_for_first_step

TINY = ["--latent-dim", "4", "--hidden-channels", "8,16"]
QUIET = ["--no-progress", "--no-tensorboard", "--num-workers", "0", "--device", "cpu"]


def records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def assert_ended_like_an_epoch(run: Path, step: int) -> None:
    assert latest_checkpoint(run).name == f"step-{step:08d}"
    logged = records(run)
    assert any("train/vae/loss" in r and r["step"] == step for r in logged)
    (validation,) = [r for r in logged if "val/loss" in r]
    assert validation["step"] == step and validation["epoch"] == 1
    assert validation["val/loss"] == pytest.approx(
        validation["val/recon"] + validation["val/kl"], rel=1e-5
    )
    for name in ("samples", "reconstructions"):
        assert (run / "images" / name / "epoch-0001.png").is_file()
    report = (run / "report.html").read_text()
    assert report.count("data:image/png") >= 2 and "val/loss" in report


def test_max_steps_ends_like_an_epoch(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32", "--log-every", "50"]
    assert main([*argv, "--max-steps", "3", "--out", str(run)]) == 0
    assert_ended_like_an_epoch(run, 3)
    # the validation numbers are those of the saved model on the validation split
    (validation,) = [r for r in records(run) if "val/loss" in r]
    model = load_model(run).eval()
    val = load_data("sample", val_fraction=0.1, seed=0).val
    torch.manual_seed(0)
    with torch.no_grad():
        images = val.images.float() / 255.0
        recon = model.reconstruct(images)
    assert torch.nn.functional.binary_cross_entropy(recon, images, reduction="none").sum(
        (1, 2, 3)
    ).mean().item() == pytest.approx(validation["val/recon"], rel=0.05)


@pytest.mark.parametrize(
    "signum,said,status", [(signal.SIGINT, "Ctrl-C", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_ctrl_c_or_sigterm_saves_a_checkpoint_and_ends_like_an_epoch(
    tmp_path, signum, said, status
) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "latentforge", "train", "vae", *TINY, *QUIET]
    command += ["--batch-size", "8", "--log-every", "1", "--epochs", "50", "--out", str(run)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_first_step(process, run, timeout=120)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"stopped by {said} at step" in lines[0] and f"--resume {run}" in lines[0]
    step = int(lines[0].split("at step ")[1].split(";")[0])
    assert step >= 1
    assert_ended_like_an_epoch(run, step)
