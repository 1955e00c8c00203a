import math
import statistics

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentforge.apps.anomaly import (
    AnomalyDetector,
    ThresholdRule,
    anomaly_scores,
    detection_metrics,
    detector_path,
    fit_detector,
    load_detector,
    save_detector,
    score_statistics,
)
from latentforge.data.base import TensorImageSet
from latentforge.errors import CheckpointError, ConfigError, DataError

SCORES = np.array([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0, 3.5, 8.0, 7.9, 0.2])


@pytest.mark.parametrize("q", [0.0, 50.0, 90.0, 95.0, 99.5, 100.0])
def test_percentile_rule_is_numpy_percentile(q):
    assert ThresholdRule("percentile", q).threshold(SCORES) == np.percentile(SCORES, q)


def test_percentile_rule_by_hand():
    # 11 sorted values, 90th percentile: position 0.9 * 10 = 9, the 10th smallest value.
    assert ThresholdRule("percentile", 90).threshold(SCORES) == sorted(SCORES)[9]
    # 95th: position 9.5, halfway between the two largest.
    assert ThresholdRule("percentile", 95).threshold(SCORES) == pytest.approx((8.0 + 9.0) / 2)


@pytest.mark.parametrize("k", [0.0, 1.0, 3.0, -0.5])
def test_std_rule_is_mean_plus_k_population_std(k):
    expected = statistics.fmean(SCORES) + k * statistics.pstdev(SCORES)
    assert ThresholdRule("std", k).threshold(SCORES) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [("percentile", 101, r"\[0, 100\]"), ("std", math.inf, "finite"), ("median", 1, "unknown")],
)
def test_bad_rules(kind, value, message):
    with pytest.raises(ConfigError, match=message):
        ThresholdRule(kind, value)


def test_statistics_by_hand():
    stats = score_statistics(SCORES)
    assert stats["count"] == 11
    assert stats["mean"] == pytest.approx(statistics.fmean(SCORES))
    assert stats["std"] == pytest.approx(statistics.pstdev(SCORES))
    assert (stats["min"], stats["max"]) == (0.2, 9.0)
    assert stats["p50"] == statistics.median(SCORES)


def test_auroc_and_auprc_on_a_case_worked_by_hand():
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    anomalous = np.array([0, 0, 1, 1])
    # Anomaly/normal pairs ranked right: 0.35>0.1, 0.8>0.1, 0.8>0.4 (not 0.35<0.4): 3 of 4.
    # Ranked by score: 0.8 (anomaly), 0.4, 0.35 (anomaly), 0.1: precision 1 at recall 1/2 and
    # 2/3 at recall 1, so average precision = 1/2 * 1 + 1/2 * 2/3.
    flags = scores > 0.5
    metrics = detection_metrics(scores, anomalous, flags)
    assert metrics["auroc"] == pytest.approx(0.75)
    assert metrics["auprc"] == pytest.approx(0.5 + 1 / 3)
    assert metrics["precision_at_threshold"] == 1.0
    assert metrics["recall_at_threshold"] == 0.5
    assert metrics["false_positive_rate"] == 0.0
    assert detection_metrics(-scores, anomalous)["auroc"] == pytest.approx(0.25)


def test_metrics_need_both_kinds_and_one_label_per_score():
    with pytest.raises(DataError, match="none"):
        detection_metrics(np.ones(3), np.zeros(3))
    with pytest.raises(DataError, match="labels for"):
        detection_metrics(np.ones(3), np.array([0, 1]))


def test_recon_score_is_the_per_image_mse_of_the_reconstruction(ae, images):
    with torch.no_grad():
        recon = ae.decode(ae.encode(images))
    expected = ((recon - images) ** 2).flatten(1).mean(1).double().numpy()
    np.testing.assert_allclose(anomaly_scores(ae, images, "recon", batch_size=3), expected, 1e-6)
    as_set = TensorImageSet((images * 255).round().to(torch.uint8))
    quantised = (images * 255).round() / 255
    with torch.no_grad():
        expected_set = ((ae.reconstruct(quantised) - quantised) ** 2).flatten(1).mean(1)
    np.testing.assert_allclose(anomaly_scores(ae, as_set, "recon"), expected_set, 1e-5)


def test_elbo_score_by_hand(vae, images):
    samples, seed = 3, 7
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        mu, logvar = vae.encode_distribution(images)
        nll = torch.zeros(len(images))
        for _ in range(samples):
            eps = torch.randn(mu.shape, generator=generator)
            p = torch.sigmoid(vae.decode_logits(mu + torch.exp(0.5 * logvar) * eps))
            nll += F.binary_cross_entropy(p, images, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)
    expected = (nll / samples + kl).double().numpy()
    got = anomaly_scores(vae, images, "elbo", samples=samples, seed=seed)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    np.testing.assert_array_equal(got, anomaly_scores(vae, images, "elbo", samples=3, seed=7))
    assert not np.array_equal(got, anomaly_scores(vae, images, "elbo", samples=3, seed=8))


def test_elbo_needs_a_vae(ae, images):
    with pytest.raises(ConfigError, match="use --score recon"):
        anomaly_scores(ae, images, "elbo")
    with pytest.raises(ConfigError, match="unknown anomaly score"):
        anomaly_scores(ae, images, "likelihood")


def test_fit_flags_exactly_the_scores_above_the_threshold(ae, images):
    rule = ThresholdRule("percentile", 80)
    detector = fit_detector(ae, images, "recon", rule)
    scores = anomaly_scores(ae, images, "recon")
    assert detector.threshold == np.percentile(scores, 80)
    np.testing.assert_array_equal(detector.flags(scores), scores > np.percentile(scores, 80))
    assert detector.flags(scores).sum() == 2  # 10 distinct scores: the top 2 exceed p80
    assert detector.train_stats["mean"] == pytest.approx(scores.mean())


def _saved_run(model, path):
    """A folder that looks like a saved model (what a run's checkpoint holds)."""
    model.save_pretrained(path)
    return path


def test_detector_is_saved_with_the_model_and_checked_against_it(ae, images, tmp_path):
    run = _saved_run(ae, tmp_path / "model")
    with pytest.raises(CheckpointError, match="anomaly fit"):
        load_detector(run)
    detector = fit_detector(ae, images, "recon", ThresholdRule("std", 2.0))
    save_detector(detector, run)
    loaded = load_detector(run)
    assert loaded == detector
    assert AnomalyDetector.from_dict(loaded.to_dict()) == detector
    with torch.no_grad():
        next(ae.parameters()).add_(1.0)
    ae.save_pretrained(run)  # the model changes: the old threshold no longer applies
    with pytest.raises(CheckpointError, match="refit"):
        load_detector(run)
    detector_path(run).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_detector(run)


def test_elbo_excess_is_elbo_less_the_binary_entropy_of_the_image(vae, images):
    entropy = -(torch.xlogy(images, images) + torch.xlogy(1 - images, 1 - images))
    floor = entropy.flatten(1).sum(1).double().numpy()
    elbo = anomaly_scores(vae, images, "elbo", samples=2, seed=1)
    excess = anomaly_scores(vae, images, "elbo-excess", samples=2, seed=1)
    np.testing.assert_allclose(elbo - excess, floor, rtol=1e-4)
    binary = (images > 0.5).float()  # entropy 0: the two scores agree up to D * 1e-6
    np.testing.assert_allclose(
        anomaly_scores(vae, binary, "elbo-excess", seed=1),
        anomaly_scores(vae, binary, "elbo", seed=1),
        atol=784 * 2e-6,
    )


def test_latent_score_is_the_mahalanobis_distance_under_the_fitted_gaussian(ae, images):
    generator = torch.Generator().manual_seed(1)
    scale_tril = torch.tril(torch.rand(4, 4, generator=generator)) + torch.eye(4)
    ae.latent_mean.copy_(torch.rand(4, generator=generator))
    ae.latent_scale_tril.copy_(scale_tril)
    with torch.no_grad():
        codes = ae.encode(images).double().numpy()
    covariance = (scale_tril @ scale_tril.T).double().numpy()
    diff = codes - ae.latent_mean.double().numpy()
    expected = np.einsum("nd,de,ne->n", diff, np.linalg.inv(covariance), diff)
    got = anomaly_scores(ae, images, "latent", batch_size=4)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    recon = anomaly_scores(ae, images, "recon")
    np.testing.assert_allclose(
        anomaly_scores(ae, images, "recon-latent"), np.log(recon) + np.log(got), rtol=1e-5
    )


def test_latent_score_of_a_vae_is_the_squared_norm_of_the_posterior_mean(vae, images):
    with torch.no_grad():
        mu, _ = vae.encode_distribution(images)
    expected = (mu.double() ** 2).sum(1).numpy()
    np.testing.assert_allclose(anomaly_scores(vae, images, "latent"), expected, rtol=1e-5)


def test_latent_score_needs_an_encoder_with_a_code_distribution(images):
    class Decoderless(torch.nn.Module):
        model_type = "gan"

        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

    with pytest.raises(ConfigError, match="needs an encoder"):
        anomaly_scores(Decoderless(), images, "latent")
