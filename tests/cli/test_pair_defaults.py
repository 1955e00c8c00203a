"""Models that train on image pairs start with one command, like every other model: pix2pix
defaults to edge maps -> images of the built-in sample, CycleGAN to sneakers <-> ankle boots
(from the built-in sample when Fashion-MNIST is not in the data directory)."""

from __future__ import annotations

import json

import pytest

from latentforge.cli import main
from latentforge.cli.config_file import tomllib
from latentforge.models import MODELS

from .test_cli import run_cli

QUIET = ["--no-progress", "--no-tensorboard", "--num-workers", "0", "--device", "cpu"]
ONE_STEP = [*QUIET, "--batch-size", "8", "--max-steps", "1"]


@pytest.mark.parametrize(
    ("model", "data"),
    [("pix2pix", "edges:sample"), ("cyclegan", "sneaker2boot"), ("vae", "sample")],
)
def test_each_model_has_a_built_in_default_data_set(capsys, model, data) -> None:
    assert MODELS.get(model).config_class.default_data == data
    code, out, _ = run_cli(capsys, "train", model, "--print-config")
    assert code == 0 and tomllib.loads(out)["data"]["spec"] == data
    code, out, _ = run_cli(capsys, "train", model, "--help")
    assert f"(default: {data})" in " ".join(out.split())
    # the command line still chooses
    code, out, _ = run_cli(capsys, "train", model, "--data", "paired:a,b", "--print-config")
    assert tomllib.loads(out)["data"]["spec"] == "paired:a,b"


@pytest.mark.parametrize(
    ("model", "tiny", "grids"),
    [
        ("pix2pix", ["--g-channels", "4,8", "--d-channels", "4,8"], ["translations"]),
        (
            "cyclegan",
            ["--g-channels", "4,8", "--d-channels", "4,8", "--residual-blocks", "1"],
            ["a2b", "b2a"],
        ),
    ],
)
def test_pair_models_train_with_no_data_option(tmp_path, monkeypatch, model, tiny, grids):
    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path / "empty"))  # no real data anywhere
    run = tmp_path / "run"
    assert main(["train", model, *tiny, *ONE_STEP, "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["spec"] == MODELS.get(model).config_class.default_data
    for name in grids:
        assert (run / "images" / name / "epoch-0001.png").is_file()
    assert not (tmp_path / "empty").exists()  # nothing downloaded
