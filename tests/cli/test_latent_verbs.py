"""The latent-tool verbs end to end on tiny runs: interpolate between images, traverse,
latents and sweep, and their refusals."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.apps.coordinates import latent_axes
from latentforge.apps.interpolation import input_walks, prior_walks
from latentforge.apps.latent_codes import take_images
from latentforge.apps.traversal import prior_span, traversal
from latentforge.cli.main import main
from latentforge.cli.run_data import load_split
from latentforge.models import build_model
from latentforge.training.checkpoint import load_model

SIZE = 12
QUIET = ["--no-progress", "--no-tensorboard", "--num-workers", "0"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("latent-data")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (90, SIZE, SIZE), dtype=np.uint8)
    np.savez(root / "tiny.npz", x_train=images[:70], x_test=images[70:])
    return root / "tiny.npz"


def _train(model: str, data, out, *extra: str):
    args = ["train", model, "--data", str(data), "--epochs", "1", "--max-steps", "3"]
    args += ["--batch-size", "16", "--hidden-channels", "4,8", "--latent-dim", "3", *QUIET]
    assert main([*args, *extra, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def vae_run(tiny_data, tmp_path_factory):
    return _train("vae", tiny_data, tmp_path_factory.mktemp("vae") / "run")


@pytest.fixture(scope="module")
def ae_run(tiny_data, tmp_path_factory):
    return _train("ae", tiny_data, tmp_path_factory.mktemp("ae") / "run")


def _tiles(path, rows: int, cols: int) -> torch.Tensor:
    """The images of a grid written with padding 2, as floats ``(rows, cols, H, W)``."""
    picture = np.asarray(Image.open(path), dtype=np.float32) / 255.0
    assert picture.shape == (rows * (SIZE + 2) + 2, cols * (SIZE + 2) + 2)
    cells = picture[2:, 2:].reshape(rows, SIZE + 2, cols, SIZE + 2)[:, :SIZE, :, :SIZE]
    return torch.from_numpy(np.ascontiguousarray(cells.transpose(0, 2, 1, 3)))


def _split(run, split="val") -> torch.Tensor:
    model = load_model(run)
    args = argparse.Namespace(
        run=run, data=None, data_dir=None, split=split, val_fraction=None, classes=None
    )
    return take_images(load_split(args, model), torch.arange(4), torch.device("cpu"))


def test_interpolate_walks_between_two_images_shown_at_the_ends(vae_run, tmp_path) -> None:
    out, metrics = tmp_path / "pairs.png", tmp_path / "pairs.json"
    args = ["interpolate", str(vae_run), "--images", "0,1,2,3", "-n", "5", "-o", str(out)]
    assert main([*args, "--json", str(metrics), "--device", "cpu"]) == 0
    tiles = _tiles(out, rows=2, cols=7)
    images = _split(vae_run)[:, 0]  # (4, H, W)
    torch.testing.assert_close(tiles[:, 0], images[0::2], atol=1 / 255, rtol=0)
    torch.testing.assert_close(tiles[:, -1], images[1::2], atol=1 / 255, rtol=0)
    model = load_model(vae_run)
    frames = input_walks(model, _split(vae_run)[0::2], _split(vae_run)[1::2], 5)
    torch.testing.assert_close(tiles[:, 1:-1], frames[:, :, 0], atol=1 / 255, rtol=0)
    numbers = json.loads(metrics.read_text())
    assert numbers["walks"] == 2 and numbers["steps"] == 5 and numbers["path_ratio"] >= 1.0


def test_interpolate_walks_between_prior_points_of_an_autoencoder(ae_run, tmp_path) -> None:
    out = tmp_path / "prior.png"
    args = ["interpolate", str(ae_run), "-n", "4", "--rows", "2", "--seed", "5", "-o", str(out)]
    assert main([*args, "--spherical", "--device", "cpu"]) == 0
    model = load_model(ae_run)
    frames = prior_walks(model, 2, 4, True, torch.Generator().manual_seed(5))
    torch.testing.assert_close(_tiles(out, 2, 4), frames[:, :, 0], atol=1 / 255, rtol=0)


def test_traverse_rows_follow_the_library_and_are_ordered_by_effect(vae_run, tmp_path) -> None:
    out, rows = tmp_path / "t.png", tmp_path / "t.json"
    args = ["traverse", str(vae_run), "--image", "2", "--steps", "5", "--range", "2"]
    assert main([*args, "-o", str(out), "--json", str(rows), "--device", "cpu"]) == 0
    model = load_model(vae_run)
    base = model.encode(_split(vae_run)[2:3])[0]
    expected = traversal(model, base, latent_axes(3), *prior_span(model, 2.0), 5)
    torch.testing.assert_close(_tiles(out, 3, 5), expected.images[:, :, 0], atol=1 / 255, rtol=0)
    saved = json.loads(rows.read_text())["rows"]
    effects = [row["effect"] for row in saved]
    assert effects == sorted(effects, reverse=True)
    assert [row["coordinate"] for row in saved] == expected.order
    assert saved[0]["values"] == pytest.approx([-2, -1, 0, 1, 2])


def test_traverse_over_the_data_range_keeps_the_top_rows(ae_run, tmp_path) -> None:
    out, rows = tmp_path / "t.png", tmp_path / "t.json"
    args = ["traverse", str(ae_run), "--span", "data", "--top", "2", "--steps", "3", "--seed", "1"]
    assert main([*args, "-o", str(out), "--json", str(rows), "--device", "cpu"]) == 0
    _tiles(out, 2, 3)
    saved = json.loads(rows.read_text())["rows"]
    assert len(saved) == 2
    model = load_model(ae_run)
    codes = model.encode(_split(ae_run))
    for row in saved:  # the central 98% of the codes of the validation images
        values = torch.tensor(row["values"])
        assert values[0] <= codes[:, row["coordinate"]].max()
        assert values[-1] >= codes[:, row["coordinate"]].min()


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_latents_writes_the_heat_map_numbers_and_traversals(kind, request, tmp_path) -> None:
    run = request.getfixturevalue(f"{kind}_run")
    out = tmp_path / "latents"
    args = ["latents", str(run), "--split", "test", "--ica", "2", "--steps", "4"]
    assert main([*args, "-o", str(out), "--device", "cpu"]) == 0
    numbers = json.loads((out / "latents.json").read_text())
    assert numbers["images"] == 20 and numbers["latent_dim"] == 3
    assert numbers["ica_components"] == 2 and len(numbers["ica_traversal"]) == 2
    assert ("tc_aggregate" in numbers) == (kind == "vae")
    assert numbers["recon_mse"] > 0 and numbers["recon_mse_through_ica"] > 0
    _tiles(out / "traversal.png", 3, 4)
    _tiles(out / "ica-traversal.png", 2, 4)
    assert (out / "correlation.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_verb_trains_and_tabulates(tiny_data, tmp_path, capsys) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", "beta", "0.5,2", "--model", "vae", "--data", str(tiny_data), "--epochs", "1"]
    args += ["--max-steps", "2", "--batch-size", "16", "--hidden-channels", "4"]
    args += ["--latent-dim", "2"]
    args += QUIET
    assert main([*args, "--eval-images", "10", "--features", "pixels", "--out", str(out)]) == 0
    assert "| beta | recon_mse |" in capsys.readouterr().out
    runs = json.loads((out / "sweep.json").read_text())["runs"]
    assert [r["beta"] for r in runs] == [0.5, 2.0]
    config = json.loads((out / "beta-2.0" / "config.json").read_text())
    assert config["model"]["beta"] == 2.0 and config["model"]["latent_dim"] == 2
    assert (out / "sweep.png").is_file() and (out / "sweep.md").is_file()


@pytest.fixture(scope="module")
def gan_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("gan") / "model"
    config = {"image_size": (SIZE, SIZE), "z_dim": 4, "g_hidden": (8,), "d_hidden": (8,)}
    build_model("gan", config).save_pretrained(path)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["interpolate", "{vae}", "--images", "0,1,2"], "pairs of image indices"),
        (["interpolate", "{vae}", "--images", "0,500"], "image index 500 is outside the split"),
        (["interpolate", "{gan}", "--images", "0,1"], "cannot encode images"),
        (["traverse", "{vae}", "--steps", "1"], "--steps must be >= 2"),
        (["traverse", "{vae}", "--range", "-1"], "--range must be positive"),
        (["traverse", "{gan}"], "has no encoder"),
        (["latents", "{vae}", "--ica", "7"], "--ica must be between 1 and the latent size 3"),
        (["sweep", "latent-dim", "2,4", "--beta", "2"], "--beta does not apply to --model ae"),
        (["sweep", "latent-dim", "2", "--latent-dim", "4"], "--latent-dim is the swept option"),
        (["sweep", "beta", "1,2"], "--model ae has no beta to sweep"),
        (["sweep", "latent-dim", "2,x"], "comma-separated ints"),
    ],
)
def test_bad_requests_fail_with_one_line(args, message, vae_run, gan_model, tmp_path, capsys):
    filled = [a.format(vae=vae_run, gan=gan_model) for a in args]
    assert main([*filled, "-o" if filled[0] != "sweep" else "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
