import json

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.apps.denoising import denoise
from latentforge.cli.main import main
from latentforge.data.corruption import GaussianNoise
from latentforge.metrics.image_quality import psnr
from latentforge.training.checkpoint import load_model

from .conftest import train_tiny


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "denoiser"
    return train_tiny(run, "ae", "--noise", "mask:0.25", "--max-steps", "2")


def _inputs(tmp_path, toy_npz):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    x = np.load(toy_npz)["x_train"]
    Image.fromarray(x[0]).save(folder / "a.png")
    Image.fromarray(x[1]).resize((40, 40)).save(folder / "sub" / "b.png")
    Image.fromarray(x[2]).save(tmp_path / "a.png")
    return folder, x


def test_denoise_writes_one_png_per_input(noisy_run, toy_npz, tmp_path):
    folder, x = _inputs(tmp_path, toy_npz)
    out = tmp_path / "out"
    args = [str(folder), str(tmp_path / "a.png"), str(toy_npz), "--limit", "6"]
    assert main(["denoise", str(noisy_run), *args, "-o", str(out), "--device", "cpu"]) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == [
        "a-2.png",
        "a.png",
        "sub/b.png",
        "toy/00000.png",
        "toy/00001.png",
        "toy/00002.png",
    ]
    model = load_model(noisy_run)
    clean = torch.from_numpy(x[0]).float().div(255).view(1, 1, 28, 28)
    expected = (denoise(model, clean)[0, 0] * 255).round().to(torch.uint8).numpy()
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a.png")), expected)
    assert Image.open(out / "sub" / "b.png").size == (28, 28)  # resized to the model's size


def test_denoise_with_noise_reports_quality_and_writes_a_grid(noisy_run, toy_npz, tmp_path, capsys):
    grid = tmp_path / "grid.png"
    args = [
        "denoise",
        str(noisy_run),
        str(toy_npz),
        "--npz-test",
        "--limit",
        "16",
        "--noise",
        "gaussian:0.2",
        "--seed",
        "5",
        "-o",
        str(grid),
        "--device",
        "cpu",
    ]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[0])
    clean = torch.from_numpy(np.load(toy_npz)["x_test"][:16]).float().div(255).unsqueeze(1)
    noisy = GaussianNoise(0.2)(clean, torch.Generator().manual_seed(5))
    assert report["images"] == 16
    assert report["psnr_noisy"] == pytest.approx(psnr(noisy, clean), rel=1e-6)
    denoised = denoise(load_model(noisy_run), noisy)
    assert report["psnr_denoised"] == pytest.approx(psnr(denoised, clean), rel=1e-5)
    # two rows of 8 per group, three groups (noisy, denoised, clean), 2-pixel padding
    assert Image.open(grid).size == (8 * 30 + 2, 6 * 30 + 2)


def test_denoise_errors_exit_2(noisy_run, tmp_path, capsys):
    out = str(tmp_path / "o.png")
    assert main(["denoise", str(noisy_run), str(tmp_path / "nothing.png"), "-o", out]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["denoise", str(tmp_path / "norun"), str(tmp_path), "-o", out]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["denoise", str(noisy_run), str(tmp_path), "--noise", "blur:1", "-o", out]) == 2
    assert "unknown corruption" in capsys.readouterr().err
