"""Run configs as files: --print-config writes TOML that --config reads back, options on the
command line override the file, unknown keys are one-line errors, a run repeats from its
config.json, and `info` / `--version` say what a run was trained with."""

from __future__ import annotations

import json
import math
import platform

import pytest
import torch
from safetensors.torch import load_file

from latentforge import __version__
from latentforge.cli import main
from latentforge.cli.config_file import to_toml, tomllib  # tomli on Python 3.10
from latentforge.errors import ConfigError
from latentforge.steps.train_config import TrainConfig
from latentforge.training import run as training_run
from latentforge.training.checkpoint import latest_checkpoint
from latentforge.training.run import DataConfig, RunConfig, resumed_config
from latentforge.utils.run_logs import read_metrics

from .test_cli import assert_one_line_error, run_cli

TINY = ["--latent-dim", "4", "--hidden-channels", "8,16"]
QUIET = ["--no-progress", "--no-tensorboard", "--num-workers", "0", "--device", "cpu"]


def printed(capsys, *argv) -> str:
    code, out, err = run_cli(capsys, *argv, "--print-config")
    assert code == 0, err
    return out


def test_print_config_gives_the_resolved_options_as_toml(capsys) -> None:
    values = tomllib.loads(printed(capsys, "train", "vae", "--latent-dim", "8", "--epochs", "3"))
    assert values["model_type"] == "vae"
    assert values["model"]["latent_dim"] == 8  # given
    assert values["model"]["beta"] == 1.0 and values["model"]["hidden_channels"] == [32, 64, 128]
    assert "in_channels" not in values["model"]  # read from the data, not an option
    assert values["train"]["epochs"] == 3 and values["train"]["lr"] == 1e-3
    assert values["data"]["spec"] == "sample" and "data_dir" not in values["data"]  # None
    assert set(values) == {"model_type", "model", "data", "train", "evaluation"}


def test_config_file_round_trips_and_the_command_line_overrides_it(tmp_path, capsys) -> None:
    text = printed(capsys, "train", "vae", "--latent-dim", "8", "--epochs", "3")
    path = tmp_path / "run.toml"
    path.write_text(text)
    assert printed(capsys, "train", "--config", str(path)) == text  # the model from the file
    assert printed(capsys, "train", "vae", "--config", str(path)) == text
    changed = tomllib.loads(printed(capsys, "train", "--config", str(path), "--epochs", "1"))
    assert changed["train"]["epochs"] == 1 and changed["model"]["latent_dim"] == 8
    partial = tmp_path / "partial.toml"
    partial.write_text('model_type = "ae"\n[model]\nlatent_dim = 5\n')
    values = tomllib.loads(printed(capsys, "train", f"--config={partial}"))
    assert values["model"]["latent_dim"] == 5 and values["train"]["epochs"] == 10


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('model_type = "vae"\nbogus = 1\n', ["unknown keys ['bogus']"]),
        ('model_type = "vae"\n[model]\nlatent_dimm = 4\n', ["[model]", "'latent_dimm'"]),
        ('model_type = "vae"\n[train]\nepoch = 4\n', ["[train]", "'epoch'"]),
        ('model_type = "vae"\n[train\n', ["not valid TOML"]),
        ("[model]\nlatent_dim = 4\n", ["no model_type"]),
        ('model_type = "vea"\n', ["'vea'"]),
        ('model_type = "vae"\n[train]\nepochs = 0\n', ["--epochs must be >= 1"]),
    ],
)
def test_a_bad_config_file_is_a_one_line_error(tmp_path, capsys, text, fragments) -> None:
    path = tmp_path / "run.toml"
    path.write_text(text)
    code, _, err = run_cli(capsys, "train", "--config", str(path), "--out", str(tmp_path / "r"))
    assert_one_line_error(code, err, str(path), *fragments)
    assert not (tmp_path / "r").exists()  # nothing written


def test_config_mismatches_are_one_line_errors(tmp_path, capsys) -> None:
    path = tmp_path / "run.toml"
    path.write_text('model_type = "ae"\n')
    code, _, err = run_cli(capsys, "train", "vae", "--config", str(path))
    assert_one_line_error(code, err, "for model ae, not vae")
    code, _, err = run_cli(capsys, "train", "--config", str(tmp_path / "missing.toml"))
    assert_one_line_error(code, err, "missing.toml", "cannot read")
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(tmp_path), "--config", str(path))
    assert_one_line_error(code, err, "--resume")


def test_a_run_repeats_from_its_config_json(tmp_path, capsys) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32", "--max-steps", "2"]
    assert main([*argv, "--out", str(first)]) == 0
    config = first / "config.json"
    assert main(["train", "--config", str(config), "--out", str(second)]) == 0
    recorded = [json.loads((run / "config.json").read_text()) for run in (first, second)]
    for values in recorded:
        values.pop("environment")
    assert recorded[0] == recorded[1]
    weights = [load_file(latest_checkpoint(run) / "model.safetensors") for run in (first, second)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_info_says_what_the_run_is_and_what_it_was_trained_with(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32", "--max-steps", "2"]
    assert main([*argv, "--out", str(run)]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "info", str(run), "--json")
    info = json.loads(out)
    assert code == 0 and info["model_type"] == "vae" and info["data"] == "sample"
    assert info["planned"]["max_steps"] == 2 and info["step"] == 2
    trained_with = info["trained_with"]
    assert trained_with["latentforge"] == __version__
    assert trained_with["torch"] == torch.__version__
    assert trained_with["python"] == platform.python_version()
    assert trained_with["device"] == "cpu"
    code, out, _ = run_cli(capsys, "info", str(run))
    assert f'"torch": "{torch.__version__}"' in out and "trained_with:" in out


def test_version(capsys) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"latentforge {__version__}"


def test_toml_values_read_back_as_written() -> None:
    values = {
        "name": 'a "quoted" path\\with\nlines and é',
        "table": {
            "flag": False,
            "n": -3,
            "x": 1e-7,
            "big": math.inf,
            "sizes": (8, 16),
            "gone": None,
        },
    }
    back = tomllib.loads(to_toml(values))
    assert back == {
        "name": values["name"],
        "table": {"flag": False, "n": -3, "x": 1e-7, "big": math.inf, "sizes": [8, 16]},
    }


def test_resume_may_change_how_fast_a_run_goes_and_records_it(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32", "--log-every", "2"]
    assert main([*argv, "--max-steps", "2", "--out", str(run)]) == 0
    faster = ["--optimizer-kernel", "loop", "--no-channels-last", "--log-every", "1"]
    resume = ["train", "vae", "--resume", str(run), *QUIET, "--max-steps", "4", *faster]
    code, _, err = run_cli(capsys, *resume)
    assert code == 0, err
    train = json.loads((run / "config.json").read_text())["train"]
    assert (train["optimizer_kernel"], train["channels_last"], train["log_every"]) == (
        "loop",
        False,
        1,
    )
    logged = [r["step"] for r in read_metrics(run) if "images_per_s" in r]
    assert logged == [2, 3, 4]
    code, _, err = run_cli(capsys, *resume[: -len(faster)], "--max-steps", "6", "--lr", "0.5")
    assert_one_line_error(code, err, "--lr cannot change on --resume", "--optimizer-kernel")
    assert json.loads((run / "config.json").read_text())["train"] == train


def test_resume_refuses_other_model_data_and_evaluation_options(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32"]
    assert main([*argv, "--max-steps", "2", "--out", str(run)]) == 0
    saved = (run / "config.json").read_text()
    resume = ["train", "vae", "--resume", str(run), *QUIET, "--max-steps", "3"]
    for flag, value in (
        ("--latent-dim", "8"),
        ("--hidden-channels", "8,32"),
        ("--data", "fashion-mnist"),
        ("--val-fraction", "0.2"),
    ):
        code, _, err = run_cli(capsys, *resume, flag, value)
        assert_one_line_error(code, err, f"{flag} cannot change on --resume", "--config")
        assert (run / "config.json").read_text() == saved  # nothing touched
    code, _, err = run_cli(capsys, "train", "dcgan", *resume[2:])
    assert_one_line_error(code, err, "is a vae run, not dcgan", "train vae --resume")
    # the run's own values again are no change
    code, _, err = run_cli(capsys, *resume, *TINY, "--data", "sample")
    assert code == 0, err
    assert latest_checkpoint(run).name.endswith("3")


@pytest.mark.parametrize(
    "name,value",
    [
        ("lr", 0.5),
        ("batch_size", 16),
        ("seed", 1),
        ("precision", "bf16"),
        ("grad_clip", 1.0),
        ("ema_decay", 0.9),
        ("lr_schedule", "cosine"),
        ("warmup_steps", 5),
    ],
)
def test_resume_refuses_options_that_change_what_is_learned(tmp_path, name, value) -> None:
    saved = RunConfig("vae", {}, DataConfig(), TrainConfig(device="cpu"))
    (tmp_path / "config.json").write_text(json.dumps(saved.to_dict()))
    same = resumed_config(tmp_path, {name: getattr(saved.train, name)})
    assert same.train == saved.train  # the saved value again is no change
    with pytest.raises(ConfigError, match=f"--{name.replace('_', '-')} cannot change"):
        resumed_config(tmp_path, {name: value})
    speed = {
        "compile": True,
        "channels_last": False,
        "optimizer_kernel": "foreach",
        "grad_bucket_mb": 0.0,
        "device": "auto",
        "num_workers": 3,
        "progress": False,
        "tensorboard": False,
        "log_every": 7,
        "checkpoint_every": 9,
        "keep_checkpoints": 4,
        "grid_size": 16,
        "epochs": 20,
        "max_steps": 100,
    }
    assert resumed_config(tmp_path, speed).train == saved.train.replace(**speed)


def test_every_start_of_a_run_records_what_it_trained_with(tmp_path, capsys, monkeypatch) -> None:
    run = tmp_path / "run"
    argv = ["train", "vae", *TINY, *QUIET, "--batch-size", "32"]
    assert main([*argv, "--max-steps", "2", "--out", str(run)]) == 0
    first = json.loads((run / "config.json").read_text())["environment"]
    for torch_version, steps in (("9.9.9", "4"), ("9.9.10", "6")):
        later = {**first, "torch": torch_version}
        monkeypatch.setattr(training_run, "environment", lambda device, later=later: later)
        resume = ["train", "vae", "--resume", str(run), *QUIET, "--max-steps", steps]
        assert run_cli(capsys, *resume)[0] == 0
    recorded = json.loads((run / "config.json").read_text())
    assert recorded["environment"] == first and first["torch"] == torch.__version__
    assert recorded["resumed_environments"] == [
        {**first, "torch": "9.9.9", "resumed_at_step": 2},
        {**first, "torch": "9.9.10", "resumed_at_step": 4},
    ]
    info = json.loads(run_cli(capsys, "info", str(run), "--json")[1])
    assert info["trained_with"] == first
    assert info["resumed_with"] == recorded["resumed_environments"]
    out = run_cli(capsys, "info", str(run))[1]
    assert "resumed_with: [" in out and '"resumed_at_step": 4' in out
