"""The evaluator on tiny trained runs and on a sample-only model: every metric, checked against
direct calls of the metric functions, and the skips and errors."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentforge.data import load_data
from latentforge.errors import CheckpointError, ConfigError, ShapeError
from latentforge.evaluation import EvaluationConfig, Evaluator, evaluate_run
from latentforge.metrics import (
    FeatureStats,
    frechet_distance,
    importance_weighted_nll,
    kernel_inception_distance,
    negative_elbo,
    precision_recall_density_coverage,
)
from latentforge.models.base import GenerativeModel, ModelConfig
from latentforge.training.checkpoint import load_model

SMALL = dict(n=120, batch_size=50, kid_subsets=5, kid_subset_size=50, nll_k=6, nll_images=30)
VAE_NUMBERS = {
    "fid", "kid_mean", "kid_std", "precision", "recall", "density", "coverage", "mode_coverage",
    "classes_covered", "num_classes", "kl_fake_real", "kl_real_fake", "nelbo_nats", "nll_nats",
    "nelbo_bpd", "nll_bpd", "recon_mse", "recon_psnr", "recon_ssim",
}  # fmt: skip


def config(**changes) -> EvaluationConfig:
    return EvaluationConfig(**{**SMALL, **changes})


class Replayer(GenerativeModel):
    """A sample-only model (like a GAN): "generates" images it was given, in seeded order."""

    model_type = "replayer"

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__(ModelConfig(in_channels=1, image_size=(28, 28)))
        self.images = images
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.images[torch.randint(0, len(self.images), (n,), generator=generator)]


def test_vae_run_gives_every_metric_and_json(tiny_runs, latentforge_home, tmp_path) -> None:
    run = tmp_path / "vae"
    shutil.copytree(tiny_runs["vae"], run)  # the shared run stays untouched
    result = evaluate_run(run, config(), device="cpu", progress=False)
    assert set(result.metrics) == VAE_NUMBERS and set(result.skipped) == {"paired"}
    for name, value in result.metrics.items():
        assert math.isfinite(value) or name == "kl_real_fake", name
    assert result.metrics["nelbo_bpd"] == pytest.approx(
        result.metrics["nelbo_nats"] / (784 * math.log(2)), rel=1e-12
    )
    written = json.loads((run / "evaluation.json").read_text())
    assert set(written["metrics"]) == VAE_NUMBERS
    assert written["info"]["split"] == "val" and written["info"]["features"] == "classifier"
    report = (run / "report.html").read_text()
    assert "Latest evaluation" in report and "nll_nats" in report


def test_ae_skips_nll_with_a_note(tiny_runs, latentforge_home) -> None:
    result = evaluate_run(
        tiny_runs["ae"], config(metrics=("nll", "recon")), device="cpu", write=False
    )
    assert set(result.metrics) == {"recon_mse", "recon_psnr", "recon_ssim"}
    assert "encoder distribution" in result.skipped["nll"]
    assert "nll" in result.table() and "skipped" in result.table()


def test_feature_metrics_equal_direct_calls(tiny_runs, toy_extractor, tiny_npz) -> None:
    model = load_model(tiny_runs["vae"])
    real_set = load_data(str(tiny_npz), val_fraction=0.0).train
    chosen = config(metrics=("fid", "kid", "prdc"), cache=False, seed=3)
    evaluator = Evaluator(
        real_set, chosen, dataset="tiny", split="train", extractor=toy_extractor()
    )
    result = evaluator.evaluate(model)
    # By hand: the same seeded samples, batch by batch, through the same features.
    generator = torch.Generator().manual_seed(3)
    fake_images = torch.cat([model.sample(50, generator), model.sample(50, generator),
                             model.sample(20, generator)])  # fmt: skip
    fake = F.adaptive_avg_pool2d(fake_images.clamp(0, 1), 4).flatten(1).numpy()
    real_images = real_set.take(evaluator.real_indices)[0].float() / 255
    real = F.adaptive_avg_pool2d(real_images, 4).flatten(1).numpy()
    expected_fid = frechet_distance(
        FeatureStats.from_features(real), FeatureStats.from_features(fake)
    )
    assert result.metrics["fid"] == pytest.approx(expected_fid, rel=1e-4)
    kid = kernel_inception_distance(real, fake, n_subsets=5, subset_size=50, seed=3)
    assert result.metrics["kid_mean"] == pytest.approx(kid["kid_mean"], rel=1e-4, abs=1e-7)
    prdc = precision_recall_density_coverage(real, fake)
    for name in ("precision", "recall", "density", "coverage"):
        assert result.metrics[name] == pytest.approx(prdc[name], abs=1e-9)


def test_nll_and_recon_equal_direct_calls(tiny_runs, tiny_npz) -> None:
    model = load_model(tiny_runs["vae"])
    real_set = load_data(str(tiny_npz), val_fraction=0.0).train
    chosen = config(metrics=("nll", "recon"), seed=5)
    evaluator = Evaluator(real_set, chosen, dataset="tiny", split="train")
    result = evaluator.evaluate(model)
    used = real_set.take(evaluator.real_indices)[0].float() / 255  # n = 120 of the 160
    x = used[:30]  # nll_images

    def log_likelihood(images, z):  # Bernoulli decoder, written independently of the model
        n, k = z.shape[:2]
        logits = model.decoder(z.reshape(n * k, -1)).reshape(n, k, *images.shape[1:])
        target = images.unsqueeze(1).expand_as(logits)
        return (
            -F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(2).sum(-1)
        )

    generator = torch.Generator().manual_seed(5)
    encode = model.encode_distribution
    nelbo = negative_elbo(x, encode, log_likelihood, generator=generator).mean().item()
    nll = importance_weighted_nll(x, encode, log_likelihood, k=6, batch_k=6, generator=generator)
    assert result.metrics["nelbo_nats"] == pytest.approx(nelbo, rel=1e-5)
    assert result.metrics["nll_nats"] == pytest.approx(nll.mean().item(), rel=1e-5)
    with torch.no_grad():
        squared = (model.reconstruct(used) - used).pow(2).flatten(1).mean(1)
    assert result.metrics["recon_mse"] == pytest.approx(squared.mean().item(), rel=1e-5)
    assert result.metrics["recon_psnr"] == pytest.approx(
        (10 * torch.log10(1 / squared)).mean().item(), rel=1e-5
    )


def test_sample_only_model_works_and_real_images_score_better(latentforge_home, tiny_npz):
    data = load_data(str(tiny_npz), val_fraction=0.5, seed=0)
    real_train = data.train.take(torch.arange(len(data.train)))[0].float() / 255
    chosen = config(metrics=("fid", "kid", "prdc", "modes", "nll", "recon"))
    evaluator = Evaluator(data.val, chosen, dataset="tiny", split="val")
    good = evaluator.evaluate(Replayer(real_train))
    noise = evaluator.evaluate(Replayer(torch.rand_like(real_train)))
    assert set(good.skipped) == {"nll", "recon"}
    assert "reconstruct" in good.skipped["recon"]
    assert good.metrics["fid"] < noise.metrics["fid"] / 10
    assert good.metrics["coverage"] > noise.metrics["coverage"]
    assert good.metrics["mode_coverage"] == 1.0  # real images of all 10 classes
    again = Evaluator(data.val, chosen, dataset="tiny", split="val")
    assert again.real_features().from_cache  # computed once, reused from the cache


def test_modes_skipped_without_a_classifier(tiny_npz, toy_extractor) -> None:
    real_set = load_data(str(tiny_npz), val_fraction=0.0).train
    images = real_set.take(torch.arange(40))[0].float() / 255
    evaluator = Evaluator(
        real_set, config(metrics=("fid", "modes"), cache=False), dataset="tiny", split="train",
        extractor=toy_extractor(),
    )  # fmt: skip
    result = evaluator.evaluate(Replayer(images))
    assert "fid" in result.metrics and "classifier" in result.skipped["modes"]


def test_unknown_metric_missing_run_and_shape_mismatch(tmp_path, tiny_npz) -> None:
    with pytest.raises(ConfigError, match="unknown metric 'fidd'"):
        EvaluationConfig(metrics=("fidd",))
    with pytest.raises(CheckpointError, match="does not exist"):
        evaluate_run(tmp_path / "nothing", EvaluationConfig(), device="cpu")
    rgb = load_data(str(tiny_npz), channels=3, val_fraction=0.0).train
    evaluator = Evaluator(rgb, config(), dataset="tiny", split="train")
    with pytest.raises(ShapeError, match="1x28x28 images but"):
        evaluator.evaluate(Replayer(torch.rand(4, 1, 28, 28)))


def test_vae_log_likelihood_of_the_mse_decoder_is_a_half_variance_gaussian(tiny_runs) -> None:
    model = load_model(tiny_runs["vae"])
    model.config = dataclasses.replace(model.config, reconstruction="mse")
    x, z = torch.rand(3, 1, 28, 28), torch.randn(3, 4)
    with torch.no_grad():
        mean = torch.sigmoid(model.decoder(z))
        expected = torch.distributions.Normal(mean, math.sqrt(0.5)).log_prob(x).flatten(1).sum(1)
        got = model.log_likelihood(x, z)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5)
