"""The bias analysis and its report, checked against direct computations."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from latentforge.apps.bias import analyse_bias, class_table, region_rows
from latentforge.apps.bias_report import write_bias_report
from latentforge.data.base import TensorImageSet
from latentforge.errors import ConfigError, DataError
from latentforge.models import DBVAE, VAE, DBVAEConfig, GenerativeModel, VAEConfig
from latentforge.models.latent_histogram import resampling_probabilities

SMALL = dict(latent_dim=3, hidden_channels=(4, 8))


@pytest.fixture
def images(tiny_bundle):
    return tiny_bundle.train.subset(torch.arange(200))


@pytest.fixture
def dbvae():
    torch.manual_seed(0)
    return DBVAE(DBVAEConfig(**SMALL, positive_classes=(5, 7, 9), bins=6, alpha=0.05)).eval()


def float_images(image_set):
    return image_set.images.float() / 255


def test_analysis_matches_a_direct_computation(dbvae, images):
    analysis = analyse_bias(dbvae, images, batch_size=64)
    with torch.no_grad():
        logits, mu, _ = dbvae.encode_all(float_images(images))
    positive = torch.isin(images.labels, torch.tensor([5, 7, 9]))
    torch.testing.assert_close(analysis.codes, mu)
    torch.testing.assert_close(analysis.logits, logits)
    assert torch.equal(analysis.population, positive)
    expected, histogram = resampling_probabilities(mu, positive, 6, 0.05)
    torch.testing.assert_close(analysis.probabilities, expected)
    torch.testing.assert_close(analysis.log_density, histogram.log_density(mu))
    assert analysis.population_name == "positives (labels 5, 7, 9)"


def test_rarest_and_most_common_are_the_ends_of_the_density_order(dbvae, images):
    analysis = analyse_bias(dbvae, images)
    members = np.flatnonzero(analysis.population.numpy())
    order = members[np.argsort(analysis.log_density.numpy()[members], kind="stable")]
    assert analysis.rarest(5).tolist() == order[:5].tolist()
    assert analysis.most_common(5).tolist() == order[::-1][:5].tolist()
    assert (
        analysis.weight_ratio[analysis.rarest(1)]
        >= analysis.weight_ratio[analysis.population].max() - 1e-9
    )


def test_class_table_shares_and_accuracy(dbvae, images):
    analysis = analyse_bias(dbvae, images)
    rows = {row["label"]: row for row in class_table(analysis, ["c"] * 10)}
    labels, p = images.labels, analysis.probabilities
    positive = torch.isin(labels, torch.tensor([5, 7, 9]))
    for label, row in rows.items():
        members = labels == label
        assert row["count"] == members.sum().item()
        assert row["in_population"] == (label in (5, 7, 9))
        truth = positive[members]
        assert row["accuracy"] == pytest.approx(
            ((analysis.logits[members] > 0) == truth).float().mean().item()
        )
        if row["in_population"]:
            assert row["uniform_share"] == pytest.approx(
                members.sum().item() / positive.sum().item()
            )
            assert row["resampled_share"] == pytest.approx(
                (p[members].sum() / p[positive].sum()).item()
            )
    assert sum(r.get("resampled_share", 0) for r in rows.values()) == pytest.approx(1.0)


def test_region_rows_hold_images_of_the_rarest_and_commonest_bins(dbvae, images):
    analysis = analyse_bias(dbvae, images)
    rows = region_rows(analysis, per_side=4, max_dims=3)
    fractions = analysis.histogram.fractions
    assert [r["rare_share"] for r in rows] == sorted(r["rare_share"] for r in rows)
    for row in rows:
        shares = fractions[row["dim"]]
        assert row["rare_share"] == shares[shares > 0].min().item()
        assert row["common_share"] == shares.max().item()
        for key, share in (("rare_images", "rare_share"), ("common_images", "common_share")):
            assert 0 < len(row[key]) <= 4
            bins = analysis.histogram.bin_index(analysis.codes[row[key]])[:, row["dim"]]
            assert all(fractions[row["dim"], b].item() == row[share] for b in bins)
            assert analysis.population[row[key]].all()


def test_a_plain_vae_and_unlabelled_images_use_every_image(images):
    torch.manual_seed(0)
    vae = VAE(VAEConfig(**SMALL)).eval()
    unlabelled = TensorImageSet(images.images)
    analysis = analyse_bias(vae, unlabelled, bins=5, alpha=0.1, combine="max")
    assert analysis.population.all() and analysis.logits is None and analysis.labels is None
    with torch.no_grad():
        mu = vae.encode(float_images(images))
    expected, _ = resampling_probabilities(mu, None, 5, 0.1, "max")
    torch.testing.assert_close(analysis.probabilities, expected)
    assert class_table(analysis) == []


def test_report_files(dbvae, images, tmp_path):
    analysis = analyse_bias(dbvae, images)
    names = [f"class-{i}" for i in range(10)]
    paths = write_bias_report(analysis, images, tmp_path / "out", class_names=names, n=16)
    files = {"rarest", "most_common", "regions", "weights", "latent_histograms", "summary"}
    assert files | {"report"} == set(paths) and all(p.is_file() for p in paths.values())
    width, height = Image.open(paths["rarest"]).size
    assert (width, height) == (2 * (8 * 30 + 2), 2 * (2 * 30 + 2))  # 16 images, 8 per row, x2
    summary = json.loads(paths["summary"].read_text())
    assert summary["population_size"] == int(analysis.population.sum())
    assert [r["index"] for r in summary["rarest"]] == analysis.rarest(16).tolist()
    assert summary["bins"] == 6 and summary["alpha"] == 0.05 and summary["combine"] == "product"
    ratio = analysis.weight_ratio[analysis.population]
    assert summary["weight_ratio"]["max"] == pytest.approx(ratio.max().item())
    page = paths["report"].read_text()
    assert page.count("data:image/png;base64") == 5 and "class-5" in page
    assert "<table>" in page and "positives (labels 5, 7, 9)" in page


def test_errors_name_the_problem(dbvae, images, tmp_path):
    with pytest.raises(ConfigError, match="--bins must be an integer >= 1"):
        analyse_bias(dbvae, images, bins=0)
    with pytest.raises(ConfigError, match="--alpha must be a finite number >= 0"):
        analyse_bias(dbvae, images, alpha=-1.0)
    negatives = images.subset(torch.nonzero(images.labels < 5).flatten())
    with pytest.raises(DataError, match="none of the images has a label in the model's positive"):
        analyse_bias(dbvae, negatives)
    analysis = analyse_bias(dbvae, images)
    with pytest.raises(ConfigError, match="analysis covers 200 images but the image set has"):
        write_bias_report(analysis, negatives, tmp_path)
    with pytest.raises(ConfigError, match="-n must be >= 1"):
        write_bias_report(analysis, images, tmp_path, n=0)

    class NoEncoder(GenerativeModel):
        model_type = "none"

    with pytest.raises(ConfigError, match="has no encoder"):
        analyse_bias(NoEncoder(dbvae.config), images)


def test_options_default_to_the_models_and_a_new_combination_to_its_own_alpha(dbvae, images):
    assert (analyse_bias(dbvae, images).alpha, analyse_bias(dbvae, images).bins) == (0.05, 6)
    switched = analyse_bias(dbvae, images, combine="max")
    assert (switched.combine, switched.alpha) == ("max", 0.01)
    torch.manual_seed(0)
    plain = analyse_bias(VAE(VAEConfig(**SMALL)).eval(), images)
    assert (plain.bins, plain.alpha, plain.combine) == (10, 1.0, "product")
