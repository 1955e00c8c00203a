"""``latentforge train pix2pix|cyclegan`` on the built-in tasks and ``latentforge translate``:
outputs named after the inputs, at the model's size; user errors are one line, status 2."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentforge.cli import main
from latentforge.models import DCGAN, DCGANConfig
from tests.cli.test_cli import assert_one_line_error, run_cli
from tests.conftest import FAST_CLI, one_thread
from tests.data.writers import save_image

TINY_PIX2PIX = ["--g-channels", "4,8", "--d-channels", "4,8", "--image-size", "12"]
TINY_CYCLEGAN = [*TINY_PIX2PIX, "--residual-blocks", "1"]
STEPS = ["--max-steps", "2", "--val-fraction", "0.01"]


def _train(tmp_path, model: str, task: str, options: list[str]):
    run = tmp_path / model
    argv = ["train", model, "--data", task, "--data-dir", str(tmp_path / "no-data")]
    with one_thread():
        assert main([*argv, *options, *FAST_CLI, *STEPS, "--out", str(run)]) == 0
    return run


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("cli"), "pix2pix", "edges2fashion", TINY_PIX2PIX)


def _inputs(folder):
    save_image(folder / "a.png", np.zeros((28, 28), np.uint8))
    save_image(folder / "sub" / "b.jpg", np.full((20, 30, 3), 200, np.uint8))
    return folder


def test_translate_writes_one_png_per_input_at_the_model_size(pix2pix_run, tmp_path, capsys):
    inputs = _inputs(tmp_path / "in")
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    code, text, err = run_cli(
        capsys, "translate", str(pix2pix_run), str(inputs), "-o", str(out), "--grid", str(grid)
    )
    assert code == 0, err
    assert "wrote 2 translated image(s) (a2b)" in text
    for name in ("a.png", "sub/b.png"):
        with Image.open(out / name) as image:
            assert image.size == (12, 12) and image.mode == "L"
    assert grid.is_file()
    code, _, err = run_cli(
        capsys, "translate", str(pix2pix_run), str(inputs / "a.png"), "-o", str(tmp_path / "o2")
    )
    assert code == 0 and (tmp_path / "o2" / "a.png").is_file()


def test_translate_errors_are_one_line(pix2pix_run, tmp_path, capsys):
    inputs = _inputs(tmp_path / "in")
    out = str(tmp_path / "out")
    code, _, err = run_cli(
        capsys, "translate", str(pix2pix_run), str(inputs), "--direction", "b2a", "-o", out
    )
    assert_one_line_error(code, err, "translates a2b", "'b2a'")
    code, _, err = run_cli(capsys, "translate", str(pix2pix_run), str(tmp_path / "nope.png"),
                           "-o", out)  # fmt: skip
    assert_one_line_error(code, err, "does not exist")
    save_image(tmp_path / "clash" / "a.bmp", np.zeros((4, 4), np.uint8))
    code, _, err = run_cli(capsys, "translate", str(pix2pix_run), str(inputs / "a.png"),
                           str(tmp_path / "clash" / "a.bmp"), "-o", out)  # fmt: skip
    assert_one_line_error(code, err, "would both be written as a.png")
    DCGAN(DCGANConfig(image_size=(12, 12), g_channels=(4,), d_channels=(4,))).save_pretrained(
        tmp_path / "dcgan"
    )
    code, _, err = run_cli(capsys, "translate", str(tmp_path / "dcgan"), str(inputs), "-o", out)
    assert_one_line_error(code, err, "dcgan model does not translate")


def test_cyclegan_trains_on_sneaker2boot_and_translates_back(tmp_path, capsys):
    run = _train(tmp_path, "cyclegan", "sneaker2boot", TINY_CYCLEGAN)
    inputs = _inputs(tmp_path / "in")
    code, text, err = run_cli(
        capsys, "translate", str(run), str(inputs), "--direction", "b2a", "-o", str(tmp_path / "o")
    )
    assert code == 0 and "(b2a)" in text, err


def test_translation_models_refuse_single_image_data(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "pix2pix", "--data", "sample", *FAST_CLI,
                           "--out", str(tmp_path / "r"))  # fmt: skip
    assert_one_line_error(code, err, "single images", "edges2fashion")
