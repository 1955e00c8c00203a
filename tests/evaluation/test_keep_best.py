"""Keeping the best checkpoint: metric names and directions, the copy, its atomicity, resume,
and evaluation during a real (tiny) training run."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from latentforge.errors import ConfigError
from latentforge.evaluation.best import BEST, BEST_JSON, resolve_best_metric
from latentforge.evaluation.callback import KeepBestCheckpoint, train_with_evaluation
from latentforge.training.checkpoint import CHECKPOINTS, load_model
from latentforge.training.eval_options import TrainingEvalConfig
from latentforge.training.run import RunConfig, train
from latentforge.utils.run_logs import read_metrics


def fake_checkpoints(run_dir: Path, steps: int) -> list[Path]:
    paths = []
    for step in range(1, steps + 1):
        path = run_dir / CHECKPOINTS / f"step-{step:08d}"
        path.mkdir(parents=True)
        (path / "weights.txt").write_text(f"weights of step {step}")
        paths.append(path)
    return paths


def fake_trainer(record: dict, step: int) -> SimpleNamespace:
    return SimpleNamespace(
        ctx=SimpleNamespace(is_main=True),
        epoch_record=record,
        progress=SimpleNamespace(step=step, epoch=step),
    )


def run_sequence(run_dir: Path, metric: str, key: str, values: list) -> KeepBestCheckpoint:
    callback = KeepBestCheckpoint(metric, run_dir)
    for step, (value, path) in enumerate(zip(values, fake_checkpoints(run_dir, len(values))), 1):
        record = {} if value is None else {key: value}
        callback.after_checkpoint(fake_trainer(record, step), path)
    return callback


def best_of(run_dir: Path) -> tuple[str, dict]:
    best = run_dir / CHECKPOINTS / BEST
    return (best / "weights.txt").read_text(), json.loads((best / BEST_JSON).read_text())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("fid", ("eval/fid", "min")),
        ("kid", ("eval/kid_mean", "min")),
        ("coverage", ("eval/coverage", "max")),
        ("recon_psnr", ("eval/recon_psnr", "max")),
        ("val/loss", ("val/loss", "min")),
        ("fid:max", ("eval/fid", "max")),
        ("eval/precision:min", ("eval/precision", "min")),
    ],
)
def test_metric_names_and_directions(spec: str, expected: tuple[str, str]) -> None:
    assert resolve_best_metric(spec) == expected


def test_bad_direction_is_an_error() -> None:
    with pytest.raises(ConfigError, match=":min or :max"):
        resolve_best_metric("fid:lowest")


def test_lowest_value_wins_for_distances(tmp_path) -> None:
    # epochs 1..5: fid 5, 3, 4, (not evaluated), nan -> step 2 is best.
    callback = run_sequence(tmp_path, "fid", "eval/fid", [5.0, 3.0, 4.0, None, float("nan")])
    weights, record = best_of(tmp_path)
    assert weights == "weights of step 2" and callback.best == 3.0
    assert record == {
        "metric": "eval/fid",
        "mode": "min",
        "value": 3.0,
        "step": 2,
        "epoch": 2,
        "checkpoint": "step-00000002",
    }
    assert (
        sorted(p.name for p in (tmp_path / CHECKPOINTS).iterdir() if p.name.startswith(".")) == []
    )


def test_highest_value_wins_for_shares(tmp_path) -> None:
    run_sequence(tmp_path, "coverage", "eval/coverage", [0.2, 0.7, 0.5])
    assert best_of(tmp_path)[0] == "weights of step 2"


def test_resumed_run_keeps_its_best_so_far(tmp_path) -> None:
    run_sequence(tmp_path / "a", "fid", "eval/fid", [5.0, 3.0])
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    resumed = KeepBestCheckpoint("fid", tmp_path / "b")
    assert resumed.best == 3.0
    later = tmp_path / "b" / CHECKPOINTS / "step-00000003"
    later.mkdir()
    (later / "weights.txt").write_text("weights of step 3")
    resumed.after_checkpoint(fake_trainer({"eval/fid": 4.0}, 3), later)  # worse: ignored
    assert best_of(tmp_path / "b")[0] == "weights of step 2"


def test_failed_copy_leaves_the_previous_best_whole(tmp_path, monkeypatch) -> None:
    callback = run_sequence(tmp_path, "fid", "eval/fid", [5.0])
    newer = tmp_path / CHECKPOINTS / "step-00000002"
    newer.mkdir()

    def broken_copy(source, target, **kwargs):
        Path(target).mkdir()
        (Path(target) / "weights.txt").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copytree", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        callback.after_checkpoint(fake_trainer({"eval/fid": 1.0}, 2), newer)
    assert best_of(tmp_path)[0] == "weights of step 1"
    left = sorted(p.name for p in (tmp_path / CHECKPOINTS).iterdir())
    assert left == ["best", "step-00000001", "step-00000002"]  # no half copy left behind


def test_keep_best_needs_what_it_ranks_by(tmp_path, tiny_npz, train_tiny_run) -> None:
    with pytest.raises(ConfigError, match="needs --eval-every"):
        train_tiny_run(tmp_path / "a", "ae", str(tiny_npz), TrainingEvalConfig(keep_best="fid"))
    with pytest.raises(ConfigError, match="not computed by --eval-metrics"):
        train_tiny_run(
            tmp_path / "b",
            "ae",
            str(tiny_npz),
            TrainingEvalConfig(eval_every=1, eval_metrics="kid", keep_best="fid"),
        )
    assert not (tmp_path / "a" / CHECKPOINTS).exists()


@pytest.mark.slow  # a real training run evaluated after every epoch
def test_training_evaluates_and_keeps_the_best(
    tmp_path, tiny_npz, latentforge_home, train_tiny_run
) -> None:
    evaluation = TrainingEvalConfig(
        eval_every=1, eval_metrics="fid,recon", eval_n=64, keep_best="recon_mse"
    )
    run = train_tiny_run(tmp_path / "run", "ae", str(tiny_npz), evaluation, epochs=3)
    epochs = [r for r in read_metrics(run) if "eval/fid" in r]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    best_value = min(r["eval/recon_mse"] for r in epochs)
    best_epoch = next(r for r in epochs if r["eval/recon_mse"] == best_value)
    record = json.loads((run / CHECKPOINTS / BEST / BEST_JSON).read_text())
    assert record["value"] == pytest.approx(best_value) and record["step"] == best_epoch["step"]
    assert load_model(run / CHECKPOINTS / BEST).model_type == "ae"
    report = (run / "report.html").read_text()
    assert "Evaluation during training" in report and "Best checkpoint" in report


def test_evaluation_during_training_goes_through_the_evaluation_package(
    tmp_path, tiny_npz, train_tiny_run
) -> None:
    run_dir = train_tiny_run(tmp_path / "run", "ae", str(tiny_npz))
    saved = RunConfig.read(run_dir)
    before = (run_dir / "config.json").read_text()
    asks = dataclasses.replace(saved, evaluation=TrainingEvalConfig(eval_every=1))
    with pytest.raises(ConfigError, match="train_with_evaluation"):
        train(asks, run_dir, overwrite=True)
    bogus = dataclasses.replace(saved, evaluation=TrainingEvalConfig(eval_metrics="fid,sharp"))
    with pytest.raises(ConfigError, match="unknown metric 'sharp'"):
        train_with_evaluation(bogus, run_dir, overwrite=True)
    # both refusals come before the run directory is touched: the saved run is whole
    assert (run_dir / "config.json").read_text() == before
    assert any((run_dir / CHECKPOINTS).iterdir())
