"""The latent-size sweep on a tiny budget, its measurements, and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from latentforge.apps.sample_features import PixelPCA, features_of, resolve_features
from latentforge.apps.sweep import evaluate_point, parse_sweep_values, run_sweep
from latentforge.errors import ConfigError
from latentforge.steps.train_config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig

SIZE = 12


pytestmark = pytest.mark.usefixtures("one_thread")


def _tiny_base(tmp_path, model_type: str = "vae") -> RunConfig:
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    images = rng.integers(0, 256, (80, SIZE, SIZE), dtype=np.uint8)
    np.savez(path, x_train=images[:60], x_test=images[60:])
    train = TrainConfig(
        epochs=1, max_steps=2, batch_size=16, num_workers=0, progress=False, tensorboard=False
    )
    return RunConfig(
        model_type, {"hidden_channels": (4,)}, DataConfig(str(path), val_fraction=0.0), train
    )


def test_a_tiny_sweep_writes_its_table_plot_and_records(tmp_path) -> None:
    base = _tiny_base(tmp_path)
    out = tmp_path / "sweep"
    records = run_sweep("latent-dim", [2, 3], base, out, features="pixels", eval_images=20)
    assert [r["latent-dim"] for r in records] == [2, 3]
    for record in records:
        assert record["eval_split"] == "test" and record["eval_images"] == 20
        assert record["features"] == "pixels" and not record["reused"]
        assert 0 < record["recon_mse"] < 1 and record["frechet"] >= 0 and "kl" in record
        run_dir = out / f"latent-dim-{record['latent-dim']}"
        config = json.loads((run_dir / "config.json").read_text())
        assert config["model"]["latent_dim"] == record["latent-dim"]
    saved = json.loads((out / "sweep.json").read_text())
    assert saved["parameter"] == "latent-dim" and len(saved["runs"]) == 2
    table = (out / "sweep.md").read_text().splitlines()
    assert table[0].startswith("| latent-dim | recon_mse | frechet |")
    assert table[2].startswith("| 2 |") and table[3].startswith("| 3 |")
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Again: the finished runs are measured again, not retrained, and measure the same.
    again = run_sweep("latent-dim", [2], base, out, features="pixels", eval_images=20)
    assert again[0]["reused"] and again[0]["recon_mse"] == pytest.approx(records[0]["recon_mse"])


def test_a_sweep_refuses_a_folder_holding_another_run(tmp_path) -> None:
    base = _tiny_base(tmp_path, "ae")
    run_sweep("latent-dim", [2], base, tmp_path / "s", features="pixels", eval_images=10)
    (tmp_path / "s" / "latent-dim-2").rename(tmp_path / "s" / "latent-dim-3")
    with pytest.raises(ConfigError, match="holds another run"):
        run_sweep("latent-dim", [3], base, tmp_path / "s", features="pixels", eval_images=10)


class _Perfect:
    """Reconstructs exactly and samples the evaluation images themselves."""

    def __init__(self, images):
        self.images = images
        self.drawn = 0

    def reconstruct(self, x):
        return x.clone()

    def encode(self, x):
        return x.flatten(1)[:, :4]

    def sample(self, n, generator=None):
        out = self.images[self.drawn : self.drawn + n]
        self.drawn += n
        return out


def test_a_perfect_model_measures_zero_error_and_zero_distance() -> None:
    images = torch.rand(60, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    features = PixelPCA(images, dim=5)
    record = evaluate_point(_Perfect(images), images, features, features_of(features, images))
    assert record["recon_mse"] == 0.0
    assert record["frechet"] == pytest.approx(0.0, abs=1e-8)
    assert "kl" not in record and record["active_dims"] == 4


def test_pixel_features_are_the_principal_components() -> None:
    images = torch.rand(50, 1, 5, 5, generator=torch.Generator().manual_seed(1))
    ours = PixelPCA(images, dim=6)(images).double().numpy()
    reference = PCA(n_components=6).fit_transform(images.flatten(1).double().numpy())
    np.testing.assert_allclose(np.abs(ours), np.abs(reference), atol=1e-5)
    function, name = resolve_features("pixels", images)
    assert name == "pixels" and isinstance(function, PixelPCA)
    with pytest.raises(ConfigError, match="fitted on images"):
        function(torch.rand(2, 1, 4, 4))


def test_sweep_values_are_parsed_and_checked() -> None:
    assert parse_sweep_values("latent-dim", "2, 4,8") == [2, 4, 8]
    assert parse_sweep_values("beta", "0.5,1") == [0.5, 1.0]
    with pytest.raises(ConfigError, match="comma-separated ints"):
        parse_sweep_values("latent-dim", "2,four")
    with pytest.raises(ConfigError, match="distinct"):
        parse_sweep_values("latent-dim", "2,2")
    with pytest.raises(ConfigError, match="cannot sweep 'lr'"):
        parse_sweep_values("lr", "1")
