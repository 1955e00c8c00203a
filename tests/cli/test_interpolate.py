"""The CLI with GANs: train sub-verbs and options, ``sample`` and ``interpolate`` on a run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.apps.interpolation import walk
from latentforge.cli.main import main
from latentforge.models import Autoencoder, AutoencoderConfig
from latentforge.training.checkpoint import load_model

SIZE = 12


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("gan")
    rng = np.random.default_rng(0)
    np.savez(root / "tiny.npz", x=rng.integers(0, 256, (48, SIZE, SIZE), dtype=np.uint8))
    code = main(
        [
            "train", "gan", "--data", str(root / "tiny.npz"), "--val-fraction", "0",
            "--epochs", "1", "--batch-size", "16", "--g-hidden", "16", "--d-hidden", "16",
            "--z-dim", "4", "--num-workers", "0", "--no-progress", "--no-tensorboard",
            "--out", str(root / "run"),
        ]
    )  # fmt: skip
    assert code == 0
    return root / "run"


def _tiles(path, rows: int, cols: int) -> torch.Tensor:
    """The images of a grid written with padding 2, as floats ``(rows * cols, H, W)``."""
    picture = np.asarray(Image.open(path), dtype=np.float32) / 255.0
    assert picture.shape == (rows * (SIZE + 2) + 2, cols * (SIZE + 2) + 2)
    tiles = [
        picture[2 + r * (SIZE + 2) : 2 + r * (SIZE + 2) + SIZE, 2 + c * (SIZE + 2) :][:, :SIZE]
        for r in range(rows)
        for c in range(cols)
    ]
    return torch.from_numpy(np.stack(tiles))


@pytest.mark.parametrize("model", ["gan", "dcgan", "wgan", "wgan-gp"])
def test_every_gan_is_a_train_sub_verb_with_the_game_options(model, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["train", model, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--loss", "--d-steps", "--g-steps", "--lr-d", "--lr-g", "--z-dim", "--clip"):
        assert flag in text
    assert "--gp-weight" in text and "--beta1" in text and "--optimizer" in text


def test_sample_writes_the_models_samples(gan_run, tmp_path) -> None:
    assert (
        main(["sample", str(gan_run), "-n", "6", "--nrow", "3", "-o", str(tmp_path / "s.png")]) == 0
    )
    model = load_model(gan_run)
    expected = model.sample(6, generator=torch.Generator().manual_seed(0))[:, 0]
    torch.testing.assert_close(_tiles(tmp_path / "s.png", 2, 3), expected, atol=1 / 255, rtol=0)


@pytest.mark.parametrize("spherical", [False, True])
def test_interpolate_writes_walks_between_seeded_noise(gan_run, tmp_path, spherical) -> None:
    out = tmp_path / "strip.png"
    args = ["interpolate", str(gan_run), "-n", "5", "--rows", "2", "--seed", "3", "-o", str(out)]
    assert main(args + (["--spherical"] if spherical else [])) == 0
    model = load_model(gan_run)
    ends = model.sample_latent(4, torch.Generator().manual_seed(3))
    path = walk(ends[:2], ends[2:], 5, spherical).reshape(10, -1)
    with torch.no_grad():
        expected = model.decode(path).clamp(0, 1)[:, 0]
    torch.testing.assert_close(_tiles(out, 2, 5), expected, atol=1 / 255, rtol=0)


def test_interpolate_walks_an_autoencoders_code_gaussian(tmp_path) -> None:
    Autoencoder(AutoencoderConfig(image_size=(SIZE, SIZE), hidden_channels=(4,))).save_pretrained(
        tmp_path / "ae"
    )
    out = tmp_path / "x.png"
    assert main(["interpolate", str(tmp_path / "ae"), "-n", "3", "-o", str(out)]) == 0
    model = load_model(tmp_path / "ae")
    ends = model.sample_latent(2, torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model.decode(walk(ends[:1], ends[1:], 3).reshape(3, -1)).clamp(0, 1)[:, 0]
    torch.testing.assert_close(_tiles(out, 1, 3), expected, atol=1 / 255, rtol=0)


def test_interpolate_needs_two_steps(gan_run, tmp_path, capsys) -> None:
    assert main(["interpolate", str(gan_run), "-n", "1", "-o", str(tmp_path / "x.png")]) == 2
    assert "-n must be >= 2" in capsys.readouterr().err
