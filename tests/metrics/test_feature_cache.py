"""Cached real-data features: round trip, keys that keep datasets, splits, images and
extractors apart, and recovery from a damaged cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentforge.data.base import TensorImageSet
from latentforge.metrics.features import RealFeatureCache
from latentforge.metrics.features.cache import fingerprint


@pytest.fixture
def images() -> TensorImageSet:
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (40, 1, 8, 8), generator=generator, dtype=torch.uint8)
    return TensorImageSet(pixels)


def test_round_trip_gives_the_same_features_and_statistics(tmp_path, images, toy_extractor) -> None:
    cache = RealFeatureCache(tmp_path)
    indices = torch.arange(40)
    first = cache.real_features(images, indices, toy_extractor(), "toy-data", "train")
    second = cache.real_features(images, indices, toy_extractor(), "toy-data", "train")
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(second.features.features, first.features.features)
    by_hand = images.images.float().div(255).reshape(40, 1, 4, 2, 4, 2).mean(dim=(3, 5))
    np.testing.assert_allclose(second.features.features, by_hand.reshape(40, 16), atol=1e-6)
    features = second.features.features.astype(np.float64)
    np.testing.assert_allclose(second.stats.mu, features.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(second.stats.sigma, np.cov(features, rowvar=False), rtol=1e-8)
    assert second.stats.num_samples == 40
    assert {p.name for p in (tmp_path / second.key).iterdir()} == {
        "features.safetensors",
        "stats.safetensors",
        "meta.json",
    }


def test_keys_separate_datasets_splits_images_and_extractors(
    tmp_path, images, toy_extractor
) -> None:
    cache = RealFeatureCache(tmp_path)
    all_rows, half = torch.arange(40), torch.arange(20)
    keys = {
        cache.real_features(images, all_rows, toy_extractor(), "a", "train").key,
        cache.real_features(images, all_rows, toy_extractor(), "b", "train").key,
        cache.real_features(images, all_rows, toy_extractor(), "a", "test").key,
        cache.real_features(images, half, toy_extractor(), "a", "train").key,
        cache.real_features(images, all_rows, toy_extractor(key="toy-1"), "a", "train").key,
    }
    assert len(keys) == 5
    changed = TensorImageSet(images.images.clone())
    changed.images[3, 0, 0, 0] ^= 1  # one pixel, one bit
    assert fingerprint(changed, all_rows) != fingerprint(images, all_rows)
    entry = cache.real_features(changed, all_rows, toy_extractor(), "a", "train")
    assert not entry.from_cache and entry.key not in keys


def test_disabled_cache_writes_nothing(tmp_path, images, toy_extractor) -> None:
    cache = RealFeatureCache(tmp_path / "cache", enabled=False)
    entry = cache.real_features(images, torch.arange(40), toy_extractor(), "a", "train")
    assert entry.features.features.shape == (40, 16)
    assert not (tmp_path / "cache").exists()


def test_damaged_entry_is_recomputed(tmp_path, images, toy_extractor) -> None:
    cache = RealFeatureCache(tmp_path)
    entry = cache.real_features(images, torch.arange(40), toy_extractor(), "a", "train")
    (tmp_path / entry.key / "stats.safetensors").write_bytes(b"broken")
    again = cache.real_features(images, torch.arange(40), toy_extractor(), "a", "train")
    assert not again.from_cache
    np.testing.assert_array_equal(again.features.features, entry.features.features)
    assert cache.load(entry.key) is not None  # rewritten whole


def test_cache_home_follows_latentforge_home(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LATENTFORGE_HOME", str(tmp_path / "lf"))
    assert RealFeatureCache().root == tmp_path / "lf" / "real-features"
    monkeypatch.delenv("LATENTFORGE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert RealFeatureCache().root == tmp_path / "xdg" / "latentforge" / "real-features"
