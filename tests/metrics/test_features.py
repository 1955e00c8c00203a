"""Feature extractors: the interface, the shipped classifier, the registry."""

from __future__ import annotations

import hashlib

import pytest
import torch

from latentforge.data import load_data
from latentforge.errors import ConfigError, ShapeError
from latentforge.evaluation.feature_extractors import (
    FEATURE_EXTRACTORS,
    available_extractors,
    load_feature_extractor,
)
from latentforge.metrics.features import FeatureExtractor
from latentforge.metrics.features.base import match_channels
from latentforge.metrics.features.classifier import read_card, shipped_paths


@pytest.fixture(scope="module")
def sample_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """500 built-in sample images (Fashion-MNIST *test* images) and their labels."""
    data = load_data("sample", val_fraction=0.0)
    images, labels = data.train.take(torch.arange(500))
    return images.float() / 255.0, labels


@pytest.fixture(scope="module")
def classifier() -> FeatureExtractor:
    return load_feature_extractor("classifier")


def test_shipped_card_records_accuracy_and_checksum() -> None:
    weights, card_path = shipped_paths()
    card = read_card(card_path)
    assert card["test_accuracy"] >= 0.92
    assert card["test_images"] == 10_000
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == card["weights_sha256"]
    assert weights.stat().st_size < 1_000_000


def test_shipped_classifier_classifies_held_out_images(classifier, sample_batch) -> None:
    # The sample is the Fashion-MNIST test split, which the classifier never trained on.
    images, labels = sample_batch
    accuracy = (classifier.logits(images).argmax(1) == labels).double().mean().item()
    card_accuracy = read_card(shipped_paths()[1])["test_accuracy"]
    assert accuracy >= 0.88
    assert abs(accuracy - card_accuracy) < 0.04  # 500 images: binomial std ~ 0.012


def test_features_and_logits_match_the_network(classifier, sample_batch) -> None:
    images = sample_batch[0][:16]
    features, logits = classifier.features_and_logits(images)
    net = classifier.network
    pooled = net.body(images * 2 - 1).mean(dim=(2, 3))  # by hand: pooled activations
    assert features.shape == (16, classifier.feature_dim) == (16, 128)
    torch.testing.assert_close(features, pooled)
    torch.testing.assert_close(logits, net.head(pooled))  # dropout is off in eval mode
    torch.testing.assert_close(classifier(images), features)
    assert classifier.is_classifier and classifier.num_classes == 10


def test_grey_rgb_images_give_the_grey_features(classifier, sample_batch) -> None:
    grey = sample_batch[0][:8]
    rgb = grey.expand(-1, 3, -1, -1)  # R = G = B: luma 0.299 + 0.587 + 0.114 = 1 gives grey
    torch.testing.assert_close(classifier(rgb), classifier(grey), atol=1e-5, rtol=1e-5)


def test_luma_conversion_by_hand() -> None:
    rgb = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)
    assert match_channels(rgb, 1).item() == pytest.approx(0.299 + 0.5 * 0.587)
    assert match_channels(torch.full((1, 1, 2, 2), 0.25), 3).shape == (1, 3, 2, 2)


def test_other_image_sizes_are_refused_with_the_fix(classifier) -> None:
    with pytest.raises(ShapeError, match="features fit") as error:
        classifier(torch.rand(2, 3, 32, 32))
    assert "1x28x28" in str(error.value) and "3x32x32" in str(error.value)
    with pytest.raises(ShapeError, match="features fit"):
        classifier.check_image_shape((2, 28, 28))


def test_logits_of_a_feature_only_extractor_is_an_error(toy_extractor) -> None:
    extractor = toy_extractor()
    assert not extractor.is_classifier
    with pytest.raises(ConfigError, match="not a classifier"):
        extractor.logits(torch.rand(2, 1, 8, 8))


def test_wrong_feature_width_is_caught(toy_extractor) -> None:
    extractor = toy_extractor()
    extractor.feature_dim = 15  # the network gives 16
    with pytest.raises(ShapeError, match="expected"):
        extractor(torch.rand(2, 1, 8, 8))


def test_extract_stacks_batches_like_one_call(classifier, sample_batch) -> None:
    images = sample_batch[0][:30]
    stacked = classifier.extract(images.split(7), total=30)
    features, logits = classifier.features_and_logits(images)
    torch.testing.assert_close(torch.from_numpy(stacked.features), features, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.from_numpy(stacked.logits), logits, atol=1e-5, rtol=1e-5)
    assert len(stacked) == 30


def test_registry_knows_builtins_and_refuses_unknown_names(latentforge_home) -> None:
    assert available_extractors() == ["classifier", "inception"]
    with pytest.raises(ConfigError, match="classifier, inception") as error:
        load_feature_extractor("nope")
    assert "features fit" in str(error.value)


def test_a_registered_extractor_is_found_by_name(monkeypatch, toy_extractor) -> None:
    made = toy_extractor()
    monkeypatch.setitem(FEATURE_EXTRACTORS._items, "toy", lambda: made)
    assert load_feature_extractor("toy") is made
