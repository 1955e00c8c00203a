"""``latentforge train dbvae`` and ``latentforge bias report`` end to end on the built-in
sample, and their errors (one line, exit status 2)."""

import json

import numpy as np
import pytest
from PIL import Image

from latentforge.cli.main import main

QUICK = [
    "--latent-dim", "3", "--hidden-channels", "4,8", "--batch-size", "64", "--no-progress",
    "--no-tensorboard", "--num-workers", "0", "--device", "cpu", "--val-fraction", "0.97",
]  # fmt: skip


def cli(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, fragment):
    lines = err.strip().splitlines()
    return code == 2 and len(lines) == 1 and fragment in lines[0] and "Traceback" not in err


@pytest.fixture(scope="module")
def dbvae_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "dbvae"
    argv = ["train", "dbvae", "--positive-classes", "5,7,9", "--bins", "6", *QUICK]
    assert main([*argv, "--max-steps", "2", "--out", str(run)]) == 0
    return run


def test_report_end_to_end(dbvae_run, tmp_path, capsys):
    out_dir = tmp_path / "bias"
    code, out, err = cli(capsys, "bias", "report", dbvae_run, "-o", out_dir, "-n", "8")
    assert code == 0, err
    assert "analysed 300 images (positives (labels 5, 7, 9))" in out
    for name in ("rarest", "most_common", "regions", "weights", "latent_histograms"):
        assert Image.open(out_dir / f"{name}.png").size[0] > 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["images"] == 300 and summary["bins"] == 6 and summary["alpha"] == 1.0
    names = {row["name"] for row in summary["classes"]}
    assert {"Sandal", "Sneaker", "Ankle boot"} <= names  # the sample's class names
    assert "Ankle boot" in (out_dir / "report.html").read_text()


def test_report_options_override_the_model_and_default_to_the_run(dbvae_run, capsys):
    code, _, err = cli(
        capsys, "bias", "report", dbvae_run, "--alpha", "0.5", "--combine", "max", "--bins", "3"
    )
    assert code == 0, err
    summary = json.loads((dbvae_run / "bias" / "summary.json").read_text())
    assert (summary["alpha"], summary["combine"], summary["bins"]) == (0.5, "max", 3)


@pytest.mark.parametrize(
    "options,fragment",
    [
        (["--alpha", "-1"], "--alpha must be a finite number >= 0"),
        (["--bins", "0"], "--bins must be an integer >= 1"),
        (["--combine", "sum"], "--combine must be one of product, max"),
        (["-n", "0"], "-n must be >= 1"),
    ],
)
def test_bad_report_options_are_one_line(dbvae_run, tmp_path, capsys, options, fragment):
    code, _, err = cli(capsys, "bias", "report", dbvae_run, "-o", tmp_path, *options)
    assert one_line_error(code, err, fragment), err


def test_missing_run_and_missing_action_are_clear(tmp_path, capsys):
    code, _, err = cli(capsys, "bias", "report", tmp_path / "nothing")
    assert one_line_error(code, err, "does not exist"), err
    code, _, err = cli(capsys, "bias")
    assert code == 2 and "ACTION" in err


def test_training_errors_are_one_line(tmp_path, capsys):
    x = np.zeros((80, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "unlabelled.npz", x=x)
    unlabelled = ["--data", tmp_path / "unlabelled.npz", "--val-fraction", "0.1"]
    code, _, err = cli(
        capsys, "train", "dbvae", "--positive-classes", "1", *QUICK[:-2], *unlabelled,
        "--max-steps", "1", "--out", tmp_path / "r1",
    )  # fmt: skip
    assert one_line_error(code, err, "dbvae needs labelled images"), err
    code, _, err = cli(capsys, "train", "dbvae", *QUICK, "--out", tmp_path / "r2")
    assert one_line_error(code, err, "--positive-classes is required"), err
