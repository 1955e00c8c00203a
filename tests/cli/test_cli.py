"""The command line: every verb has --help; user errors are one line and exit status 2."""

import json

import numpy as np
import pytest

from latentforge.cli import main
from tests.conftest import FAST_CLI

SMALL = ["--latent-dim", "4", "--hidden-channels", "8,16"]


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def train_args(data, out, *extra):
    """``latentforge train vae`` on ``data`` into ``out`` with a small network, fast options."""
    return ["train", "vae", "--data", str(data), *SMALL, *FAST_CLI, "--out", str(out), *extra]


def train_vae_run(capsys, data, run) -> str:
    """Trains ``train_args(data, run)`` through the command line, which must exit 0; returns
    what it printed."""
    code, out, err = run_cli(capsys, *train_args(data, run))
    assert code == 0, err
    return out


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    "verb",
    [
        [],
        ["train"],
        ["train", "vae"],
        ["train", "ae"],
        ["sample"],
        ["reconstruct"],
        ["info"],
        ["translate"],
        ["train", "pix2pix"],
        ["train", "cyclegan"],
    ],
)
def test_every_verb_has_help(capsys, verb):
    code, out, _ = run_cli(capsys, *verb, "--help")
    assert code == 0 and "usage:" in out


@pytest.fixture
def trained_run(tmp_path, tiny_split_npz, capsys):
    run = tmp_path / "run"
    out = train_vae_run(capsys, tiny_split_npz, run)
    assert f"run directory: {run}" in out and "report.html" in out
    return run


def test_train_sample_reconstruct_info(trained_run, tmp_path, capsys):
    for name in ("config.json", "metrics.jsonl", "report.html"):
        assert (trained_run / name).is_file()
    config = json.loads((trained_run / "config.json").read_text())
    assert config["model_type"] == "vae" and config["model"]["latent_dim"] == 4
    code, out, _ = run_cli(
        capsys, "sample", str(trained_run), "-n", "10", "-o", str(tmp_path / "s.png")
    )
    assert code == 0 and (tmp_path / "s.png").is_file()
    code, out, _ = run_cli(
        capsys,
        "reconstruct",
        str(trained_run),
        "--split",
        "test",
        "-n",
        "16",
        "-o",
        str(tmp_path / "r.png"),
    )
    assert code == 0 and (tmp_path / "r.png").is_file()
    code, out, _ = run_cli(capsys, "info", str(trained_run), "--json")
    info = json.loads(out)
    assert code == 0 and info["model_type"] == "vae" and info["epoch"] == 1
    assert "val/loss" in info["latest_validation"]


def test_existing_run_is_not_overwritten_without_asking(trained_run, tiny_split_npz, capsys):
    before = sorted(p.name for p in (trained_run / "checkpoints").iterdir())
    code, _, err = run_cli(
        capsys, "train", "vae", "--data", str(tiny_split_npz), *FAST_CLI, "--out", str(trained_run)
    )
    assert_one_line_error(code, err, "already holds a run", "--resume", "--overwrite")
    assert sorted(p.name for p in (trained_run / "checkpoints").iterdir()) == before


def test_resume_extends_a_finished_run(trained_run, capsys):
    code, _, err = run_cli(
        capsys, "train", "vae", "--resume", str(trained_run), "--epochs", "2", "--no-progress"
    )
    assert code == 0, err
    info = json.loads(run_cli(capsys, "info", str(trained_run), "--json")[1])
    assert info["epoch"] == 2


@pytest.mark.parametrize(
    "argv,fragments",
    [
        (["train", "vae", "--epochs", "zero"], ["--epochs", "invalid int value"]),
        (["train", "vae", "--epochs", "0"], ["--epochs must be >= 1"]),
        (["train", "vae", "--upsample", "cubic"], ["--upsample must be one of"]),
        (["train", "vae", "--precision", "fp16", "--device", "cpu"], ["fp16", "bf16"]),
        (["train", "gan-that-does-not-exist"], ["invalid choice"]),
        (["train", "vae", "--data", "/no/such/file.npz"], ["/no/such/file.npz"]),
        (["sample", "/no/such/run"], ["/no/such/run does not exist"]),
        (["train", "vae", "--resume", "/no/such/run"], ["/no/such/run"]),
        (["sample", ".", "-n", "0"], ["-n must be >= 1"]),
    ],
)
def test_bad_input_is_one_line_with_status_2(capsys, tmp_path, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, *fragments)


def test_wrong_shapes_and_corrupt_files_are_clear(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((4, 2, 2, 2, 2), dtype=np.uint8))
    code, _, err = run_cli(capsys, "train", "vae", "--data", str(bad), "--out", str(tmp_path / "r"))
    assert_one_line_error(code, err, "bad.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run_cli(
        capsys, "train", "vae", "--data", str(corrupt), "--out", str(tmp_path / "r")
    )
    assert_one_line_error(code, err, "corrupt.npz")


def test_tampered_checkpoint_is_refused_and_left_in_place(trained_run, capsys, tmp_path):
    checkpoint = next((trained_run / "checkpoints").glob("step-*"))
    weights = checkpoint / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    code, _, err = run_cli(capsys, "sample", str(trained_run), "-o", str(tmp_path / "s.png"))
    assert_one_line_error(code, err, "model.safetensors", "checksum")
    assert weights.read_bytes() == bytes(data)
    code, _, err = run_cli(capsys, "train", "vae", "--resume", str(trained_run), "--epochs", "2")
    assert_one_line_error(code, err, "checksum")


def test_nan_during_training_is_one_line_and_keeps_the_checkpoint(trained_run, capsys, monkeypatch):
    from latentforge.models.vae import VAE

    real = VAE.loss

    def nan_loss(self, images, inputs=None):
        out = real(self, images, inputs)
        out.loss = out.loss * float("nan")
        return out

    before = sorted(p.name for p in (trained_run / "checkpoints").iterdir())
    monkeypatch.setattr(VAE, "loss", nan_loss)
    code, _, err = run_cli(
        capsys, "train", "vae", "--resume", str(trained_run), "--epochs", "2", "--no-progress"
    )
    assert_one_line_error(code, err, "became nan at step", "last checkpoint is intact")
    assert sorted(p.name for p in (trained_run / "checkpoints").iterdir()) == before


def test_a_process_stopped_with_the_main_one_exits_2_and_leaves_the_telling_to_it(
    capsys, monkeypatch, tmp_path
):
    from latentforge.cli import train as train_verb
    from latentforge.errors import StoppedWithMainProcess

    def stopped(*args, **kwargs):
        raise StoppedWithMainProcess("")

    monkeypatch.setattr(train_verb, "train_with_evaluation", stopped)
    code, out, err = run_cli(capsys, "train", "ae", "--out", str(tmp_path / "run"))
    assert (code, out, err) == (2, "", "")
