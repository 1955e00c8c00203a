"""The upscale and inpaint verbs, and the built-in tasks from the command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.cli.main import main
from latentforge.training.checkpoint import load_model

from .helpers import tiny_inpainting, tiny_srgan

FAST = ["--epochs", "1", "--no-progress", "--no-tensorboard", "--num-workers", "0"]
FAST += ["--device", "cpu", "--batch-size", "16"]


def _png(path, pixels: np.ndarray) -> None:
    Image.fromarray(pixels.astype(np.uint8)).save(path)


@pytest.fixture(scope="module")
def saved_srgan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sr") / "model"
    tiny_srgan().eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def saved_inpainting(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inp") / "model"
    tiny_inpainting().eval().save_pretrained(folder)
    return folder


def test_upscale_writes_the_model_output_for_each_image(saved_srgan, tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    _png(tmp_path / "a.png", rng.integers(0, 256, (5, 6)))
    _png(tmp_path / "b.png", rng.integers(0, 256, (7, 3)))
    assert (
        main(["upscale", str(saved_srgan), str(tmp_path / "a.png"), "-o", str(tmp_path / "a4.png")])
        == 0
    )
    written = np.asarray(Image.open(tmp_path / "a4.png"), dtype=np.float32) / 255
    model = load_model(saved_srgan)
    low = torch.from_numpy(np.asarray(Image.open(tmp_path / "a.png"), dtype=np.float32) / 255)
    expected = model.upscale(low[None, None])[0, 0].numpy()
    assert written.shape == (20, 24)
    assert np.abs(written - expected).max() <= 0.5 / 255 + 1e-6  # rounding to 8 bits
    out = tmp_path / "many"
    files = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert main(["upscale", str(saved_srgan), *files, "-o", str(out)]) == 0
    assert Image.open(out / "b-x4.png").size == (12, 28)  # (width, height)
    assert "-> " in capsys.readouterr().out


def test_upscale_errors_exit_2(saved_srgan, saved_inpainting, tmp_path, capsys) -> None:
    _png(tmp_path / "a.png", np.zeros((4, 4)))
    assert (
        main(["upscale", str(saved_srgan), str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png")])
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(
            [
                "upscale",
                str(saved_inpainting),
                str(tmp_path / "a.png"),
                "-o",
                str(tmp_path / "o.png"),
            ]
        )
        == 2
    )
    assert "does not upscale" in capsys.readouterr().err


def test_inpaint_fills_only_the_white_pixels(saved_inpainting, tmp_path) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (28, 28))
    mask = np.zeros((28, 28))
    mask[8:16, 10:20] = 255
    _png(tmp_path / "img.png", image)
    _png(tmp_path / "mask.png", mask)
    args = ["inpaint", str(saved_inpainting), str(tmp_path / "img.png"), "--mask"]
    assert main([*args, str(tmp_path / "mask.png"), "-o", str(tmp_path / "out.png")]) == 0
    out = np.asarray(Image.open(tmp_path / "out.png"), dtype=np.int64)
    known = mask == 0
    assert (out[known] == image[known]).all()
    model = load_model(saved_inpainting)
    x = torch.from_numpy(image / 255.0).float()[None, None]
    m = torch.from_numpy(mask / 255.0).float()[None, None]
    expected = np.rint(model.inpaint(x, m)[0, 0].numpy() * 255)
    assert np.abs(out[~known] - expected[~known]).max() <= 1


@pytest.mark.parametrize(
    ("mask_shape", "image_shape", "message"),
    [
        ((20, 28), (28, 28), "must have the image's size"),
        ((28, 28), (24, 24), "fills 28x28 images"),
        (None, (28, 28), "no white pixels"),
    ],
)
def test_inpaint_checks_sizes_and_masks(
    saved_inpainting, tmp_path, capsys, mask_shape, image_shape, message
) -> None:
    _png(tmp_path / "img.png", np.zeros(image_shape))
    mask = np.zeros(mask_shape or image_shape)
    if mask_shape is not None:
        mask[2:5, 2:5] = 255
    _png(tmp_path / "mask.png", mask)
    code = main(
        [
            "inpaint",
            str(saved_inpainting),
            str(tmp_path / "img.png"),
            "--mask",
            str(tmp_path / "mask.png"),
            "-o",
            str(tmp_path / "o.png"),
        ]
    )
    assert code == 2 and message in capsys.readouterr().err


def test_builtin_tasks_start_with_one_command(tmp_path) -> None:
    """srgan on the built-in sample (7x7 -> 28x28) and inpainting on faces (a fake file of
    the real layout, subjects 35..39 held out) train from the command line."""
    sr = ["train", "srgan", "--data", "sample", "--width", "4", "--blocks", "1"]
    sr += ["--d-channels", "4,8", "--max-steps", "2", "--out", str(tmp_path / "sr")]
    assert main([*sr, *FAST]) == 0
    assert load_model(tmp_path / "sr").low_res_size == (7, 7)
    subject = np.repeat(np.arange(40, dtype=np.uint8), 2)
    faces = np.random.default_rng(0).integers(0, 256, (80, 24, 20), dtype=np.uint8)
    np.savez(tmp_path / "orl-faces.npz", x=faces, subject=subject)
    inp = ["train", "inpainting", "--data", "orl-faces", "--data-dir", str(tmp_path)]
    inp += [
        "--g-widths",
        "4,8",
        "--dilations",
        "2",
        "--d-channels",
        "4,8",
        "--out",
        str(tmp_path / "inp"),
    ]
    assert main([*inp, *FAST]) == 0
    model = load_model(tmp_path / "inp")
    assert model.config.image_size == (24, 20) and int(model.example_count) > 0
    assert (tmp_path / "inp" / "report.html").is_file()
