"""The METRICS registry: names, one signature, option checks, results equal to direct calls."""

from __future__ import annotations

import numpy as np
import pytest

from latentforge.errors import ConfigError
from latentforge.metrics import (
    METRICS,
    FeatureStats,
    compute_feature_metrics,
    frechet_distance_from_features,
    kernel_inception_distance,
    mode_coverage,
    precision_recall_density_coverage,
)


@pytest.fixture
def features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((120, 6)), rng.standard_normal((100, 6)) + 0.3


def test_registered_names() -> None:
    assert METRICS.names() == ["fid", "kid", "modes", "prdc"]


def test_registry_calls_equal_direct_calls(features) -> None:
    real, fake = features
    assert METRICS.get("fid")(real, fake) == {"fid": frechet_distance_from_features(real, fake)}
    assert METRICS.get("kid")(real, fake, subset_size=50, seed=3) == kernel_inception_distance(
        real, fake, subset_size=50, seed=3
    )
    assert METRICS.get("prdc")(real, fake, k_density_coverage=4) == (
        precision_recall_density_coverage(real, fake, k_density_coverage=4)
    )


def test_every_metric_returns_plain_floats(features) -> None:
    real, fake = features
    labels_real, labels_fake = np.arange(120) % 4, np.arange(100) % 3
    for name in METRICS:
        args = (labels_real, labels_fake) if name == "modes" else (real, fake)
        result = METRICS.get(name)(*args)
        assert result and all(type(value) is float for value in result.values()), name


def test_modes_takes_real_first_and_drops_the_histogram() -> None:
    real, fake = np.arange(8) % 4, np.array([0, 0, 1, 3])
    direct = mode_coverage(fake, real)
    result = METRICS.get("modes")(real, fake)
    assert "histogram" not in result
    assert result["mode_coverage"] == direct["mode_coverage"] == 0.75
    assert result["kl_fake_real"] == direct["kl_fake_real"]


def test_fid_accepts_cached_real_statistics(features) -> None:
    real, fake = features
    cached = FeatureStats.from_features(real)
    assert METRICS.get("fid")(cached, fake) == METRICS.get("fid")(real, fake)


def test_unknown_option_names_the_accepted_ones(features) -> None:
    real, fake = features
    with pytest.raises(ConfigError, match="subset_size"):
        METRICS.get("kid")(real, fake, subset=10)
    with pytest.raises(ConfigError, match="unknown metric 'is'"):
        METRICS.get("is")


def test_compute_feature_metrics_merges_results(features) -> None:
    real, fake = features
    merged = compute_feature_metrics(
        ["fid", "kid", "prdc"], real, fake, options={"kid": {"subset_size": 40}}
    )
    expected = {
        **METRICS.get("fid")(real, fake),
        **METRICS.get("kid")(real, fake, subset_size=40),
        **METRICS.get("prdc")(real, fake),
    }
    assert merged == expected
    with pytest.raises(ConfigError, match="not requested"):
        compute_feature_metrics(["fid"], real, fake, options={"kid": {}})
