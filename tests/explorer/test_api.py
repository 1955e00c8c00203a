"""The explorer's API over a tiny run of every model family: each route returns what the
library's own functions compute, and bad requests get a 4xx with a JSON message."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.apps.anomaly import fit_detector
from latentforge.apps.interpolation import decode_walks, smoothness
from latentforge.explorer.session import ExploredRun
from latentforge.models.capabilities import Decodes, Encodes, Inpaints, Translates, Upscales
from latentforge.models.latent_histogram import LatentHistogram
from latentforge.training.checkpoint import load_model
from tests.explorer.conftest import client_for, run_id
from tests.explorer.runs import TINY_RUNS

KINDS = list(TINY_RUNS)
GENERATIVE = ["ae", "vae", "dbvae", "gan", "dcgan", "wgan", "wgan-gp", "progan"]


def pixels(data: bytes | str) -> np.ndarray:
    """A PNG (bytes or data URL) as a float array in [0, 1], (H, W) or (H, W, 3)."""
    if isinstance(data, str):
        data = base64.b64decode(data.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image, dtype=np.float64) / 255.0


def as_array(image: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` in [0, 1] -> what :func:`pixels` gives for its PNG."""
    array = (image.clamp(0, 1) * 255).round().squeeze(0).detach().numpy() / 255.0
    return array if array.ndim == 2 else array.transpose(1, 2, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_features_follow_the_declared_capabilities(kind, all_client, explorer_runs):
    info = all_client.get(f"/api/runs/{run_id(kind)}").json()
    model = load_model(explorer_runs[kind])
    decodes, encodes = isinstance(model, Decodes), isinstance(model, Encodes)
    to_image = isinstance(model, Translates | Upscales | Inpaints)
    assert info["model_type"] == kind
    assert info["features"] == {
        "samples": decodes,
        "sliders": decodes,
        "interpolation": decodes,
        "map": encodes,
        "image_to_image": to_image,
    }
    assert info["noise_control"] == ("temperature" if encodes else "truncation")


@pytest.mark.parametrize("kind", GENERATIVE)
def test_decode_sliders_samples_and_interpolation(kind, all_client, explorer_runs):
    rid, model = run_id(kind), load_model(explorer_runs[kind])
    sliders = all_client.get(f"/api/runs/{rid}/sliders").json()
    assert sliders["kind"] == ("latent axes" if isinstance(model, Encodes) else "GANSpace")
    effects = [s["effect"] for s in sliders["sliders"]]
    assert effects == sorted(effects, reverse=True) and len(effects) >= 1
    for s in sliders["sliders"]:
        assert s["low"] < s["high"]
        assert np.linalg.norm(s["direction"]) == pytest.approx(1.0, abs=1e-4)

    samples = all_client.get(f"/api/runs/{rid}/samples?n=3&seed=5").json()
    assert len(samples["codes"]) == len(samples["images"]) == 3
    assert samples == all_client.get(f"/api/runs/{rid}/samples?n=3&seed=5").json()
    z = torch.tensor(samples["codes"][1])
    png = all_client.post(f"/api/runs/{rid}/decode", json={"z": z.tolist()})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    with torch.no_grad():
        expected = as_array(model.decode(z[None])[0])
    assert np.abs(pixels(png.content) - expected).max() <= 1 / 255 + 1e-9
    assert np.abs(pixels(samples["images"][1]) - expected).max() <= 1 / 255 + 1e-9

    a, b = samples["codes"][0], samples["codes"][2]
    body = {"a": a, "b": b, "steps": 5, "spherical": True}
    walk = all_client.post(f"/api/runs/{rid}/interpolate", json=body).json()
    frames = decode_walks(model, torch.tensor([a]), torch.tensor([b]), 5, spherical=True)
    assert len(walk["images"]) == 5
    assert walk["smoothness"]["path_ratio"] == pytest.approx(smoothness(frames).path_ratio, 1e-5)


def test_truncation_keeps_noise_inside_the_threshold(all_client):
    rid = run_id("dcgan")
    free = np.array(all_client.get(f"/api/runs/{rid}/samples?n=16&seed=2").json()["codes"])
    cut = np.array(
        all_client.get(f"/api/runs/{rid}/samples?n=16&seed=2&truncation=0.5").json()["codes"]
    )
    assert np.abs(cut).max() <= 0.5 and np.abs(free).max() > 0.5
    inside = np.abs(free) <= 0.5
    np.testing.assert_allclose(cut[inside], free[inside])  # entries inside are kept


@pytest.mark.parametrize("kind", ["ae", "vae", "dbvae"])
def test_latent_map_colours_match_the_library(kind, all_client, explorer_runs):
    rid, model = run_id(kind), load_model(explorer_runs[kind])
    result = all_client.get(f"/api/runs/{rid}/map?limit=30").json()
    assert result["count"] == len(result["x"]) == len(result["rarity"]) == 30
    shown = [all_client.get(f"/api/runs/{rid}/images/{i}.png").content for i in range(30)]
    images = torch.tensor(np.stack([pixels(png) for png in shown]))[:, None].float()
    with torch.no_grad():
        codes = model.encode(images)
    rarity = -LatentHistogram.fit(codes, 10).log_density(codes).numpy()
    np.testing.assert_allclose(result["rarity"], rarity, atol=1e-3)
    code = all_client.get(f"/api/runs/{rid}/images/4/code").json()
    np.testing.assert_allclose(code["code"], codes[4].numpy(), atol=1e-5)
    with torch.no_grad():
        recon = as_array(model.decode(codes[4:5])[0])
    assert np.abs(pixels(code["reconstruction"]) - recon).max() <= 1 / 255 + 1e-9
    assert "fitted here" in result["anomaly"]["source"]
    assert result["labels"] is not None and len(result["labels"]) == 30


def test_map_threshold_is_the_95th_percentile_of_training_scores(explorer_runs):
    client = client_for(explorer_runs["ae"])
    result = client.get("/api/runs/r0/map?limit=20").json()
    explored = ExploredRun("r0", explorer_runs["ae"])
    train = explored.bundle().train
    images, _ = train.take(torch.arange(len(train)))
    detector = fit_detector(explored.model, images.float() / 255.0)
    assert result["anomaly"]["threshold"] == pytest.approx(detector.threshold, rel=1e-5)
    assert detector.rule.value == 95.0


def test_map_refuses_unknown_projections_and_models_without_encoder(all_client):
    bad = all_client.get(f"/api/runs/{run_id('vae')}/map?projection=nope")
    assert bad.status_code == 400 and "projection 'nope'" in bad.json()["error"]
    gan = all_client.get(f"/api/runs/{run_id('gan')}/map")
    assert gan.status_code == 400 and "no encoder" in gan.json()["error"]


def _png_url(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_inpainting_fills_only_the_painted_hole(all_client, explorer_runs):
    rid, model = run_id("inpainting"), load_model(explorer_runs["inpainting"])
    h, w = model.config.image_size
    mask = np.zeros((h, w), np.uint8)
    mask[4:12, 6:16] = 255
    result = all_client.post(
        f"/api/runs/{rid}/image-to-image", json={"index": 2, "mask": _png_url(mask)}
    ).json()
    original = pixels(all_client.get(f"/api/runs/{rid}/images/2.png").content)
    output, hole = pixels(result["output"]), mask > 0
    np.testing.assert_allclose(output[~hole], original[~hole], atol=1 / 255 + 1e-9)
    np.testing.assert_allclose(pixels(result["input"])[hole], 1.0)  # the hole is shown white
    image = torch.tensor(original)[None, None].float()
    expected = as_array(model.inpaint(image, torch.tensor(hole)[None, None].float())[0])
    assert np.abs(output - expected).max() <= 1 / 255 + 1e-9
    empty = all_client.post(
        f"/api/runs/{rid}/image-to-image", json={"index": 2, "mask": _png_url(mask * 0)}
    )
    assert empty.status_code == 400 and "paint the hole" in empty.json()["error"]


def test_super_resolution_and_translation_outputs(all_client, explorer_runs):
    sr = load_model(explorer_runs["srgan"])
    result = all_client.post(
        f"/api/runs/{run_id('srgan')}/image-to-image", json={"index": 0}
    ).json()
    small, big = pixels(result["input"]), pixels(result["output"])
    assert big.shape == tuple(s * sr.scale for s in small.shape)
    assert pixels(result["target"]).shape == big.shape
    upload = _png_url(np.random.default_rng(0).integers(0, 255, (50, 30), np.uint8))
    result = all_client.post(
        f"/api/runs/{run_id('srgan')}/image-to-image", json={"image": upload}
    ).json()
    assert pixels(result["input"]).shape == small.shape and result["target"] is None

    cyc = run_id("cyclegan")
    a2b, b2a = (
        all_client.post(f"/api/runs/{cyc}/image-to-image", json={"index": 1, "direction": d})
        for d in ("a2b", "b2a")
    )
    a2b, b2a = a2b.json(), b2a.json()
    np.testing.assert_array_equal(pixels(a2b["target"]), pixels(b2a["input"]))  # pair swapped
    np.testing.assert_array_equal(pixels(a2b["input"]), pixels(b2a["target"]))
    bad = all_client.post(
        f"/api/runs/{run_id('pix2pix')}/image-to-image", json={"index": 1, "direction": "b2a"}
    )
    assert bad.status_code == 400 and "'b2a'" in bad.json()["error"]


def test_uploads_are_limited_and_checked(all_client):
    path = f"/api/runs/{run_id('pix2pix')}/image-to-image"
    garbage = "data:image/png;base64," + base64.b64encode(b"not an image").decode()
    response = all_client.post(path, json={"image": garbage})
    assert response.status_code == 400 and "could not be read" in response.json()["error"]
    # a bomb: a PNG that claims 20000 x 20000 pixels but is a few kB; and one just too large
    for side, message in ((20000, "decompression-bomb guard"), (2100, "4194304 allowed")):
        buffer = io.BytesIO()
        Image.new("L", (side, side)).save(buffer, format="PNG")
        bomb = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        response = all_client.post(path, json={"image": bomb})
        assert response.status_code == 400, response.json()
        assert message in response.json()["error"]
        assert "upload a smaller image" in response.json()["error"]
    big = all_client.post(
        path, content=b"x" * (5 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert big.status_code == 413 and "larger than" in big.json()["error"]


def test_run_panel_follows_a_training_run(explorer_runs, tmp_path):
    import shutil

    run = tmp_path / "vae"
    shutil.copytree(explorer_runs["vae"], run)
    client = client_for(run)
    first = client.get("/api/runs/r0/panel").json()
    assert first["reloaded"] is False and first["config"]["model_type"] == "vae"
    with open(run / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 99, "train/loss": 1.5}) + "\n")
    warning = {"step": 99, "kind": "mode_collapse", "message": "diversity fell"}
    (run / "warnings.jsonl").write_text(json.dumps(warning) + "\n")
    checkpoints = run / "checkpoints"
    shutil.copytree(checkpoints / first["checkpoint"], checkpoints / "step-00000099")
    (checkpoints / "latest").write_text("step-00000099")
    second = client.get("/api/runs/r0/panel").json()
    assert second["reloaded"] is True and second["checkpoint"] == "step-00000099"
    assert second["curves"]["train/loss"][-1] == [99, 1.5] and second["step"] == 99
    assert second["warnings"] == [warning]
    assert client.get("/api/runs/r0").json()["checkpoint"] == "step-00000099"


def test_curves_are_thinned_keeping_the_last_point():
    from latentforge.explorer.run_panel import curves

    records = [{"step": s, "loss": float(s), "flag": True, "name": "x"} for s in range(1001)]
    records.append({"step": 1001, "loss": float("nan")})
    series = curves(records, max_points=100)
    assert set(series) == {"loss"}
    # every 11th point (ceil(1001 / 100) = 11): steps 0, 11, ..., 990 (91 points), then 1000
    assert len(series["loss"]) == 92
    assert series["loss"][:2] == [[0, 0.0], [11, 11.0]] and series["loss"][-2:] == [
        [990, 990.0],
        [1000, 1000.0],
    ]


def test_tsne_projection_of_a_small_map(all_client):
    result = all_client.get(f"/api/runs/{run_id('vae')}/map?projection=tsne&limit=25").json()
    assert result["projection"] == "tsne" and result["count"] == 25
    assert np.isfinite(result["x"]).all() and np.std(result["x"]) > 0


def test_a_streamed_body_is_counted_against_the_limit(all_client):
    def chunks():
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = all_client.post(
        f"/api/runs/{run_id('vae')}/decode",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413 and "larger than" in response.json()["error"]


@pytest.mark.slow
def test_umap_projection_when_installed(all_client):
    pytest.importorskip("umap", reason="umap-learn is an optional extra (latentforge[umap])")
    result = all_client.get(f"/api/runs/{run_id('vae')}/map?projection=umap&limit=40").json()
    assert result["projection"] == "umap" and result["count"] == 40
    assert np.isfinite(result["x"]).all()


def test_results_are_cached_per_run_with_a_bound(explorer_runs):
    from latentforge.explorer.session import MAX_CACHED

    run = ExploredRun("r0", explorer_runs["vae"])
    calls = []
    for key in range(MAX_CACHED + 2):
        run.cached(key, lambda k=key: calls.append(k) or k)
    assert run.cached(MAX_CACHED + 1, lambda: "again") == MAX_CACHED + 1  # kept
    assert run.cached(0, lambda: "again") == "again"  # the oldest was dropped
    assert calls == list(range(MAX_CACHED + 2))


def test_projections_are_checked_before_encoding():
    from latentforge.errors import ConfigError
    from latentforge.explorer.latent_map import TSNE_MAX_POINTS, check_projection

    check_projection("tsne", TSNE_MAX_POINTS)
    with pytest.raises(ConfigError, match="t-SNE is limited to"):
        check_projection("tsne", TSNE_MAX_POINTS + 1)
    with pytest.raises(ConfigError, match="'pcaa' is not offered; use one of pca, tsne"):
        check_projection("pcaa", 10)
