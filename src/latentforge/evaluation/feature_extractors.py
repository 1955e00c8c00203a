"""Feature extractors by name: ``load_feature_extractor("classifier")``.

Built in: ``classifier`` (shipped Fashion-MNIST CNN, offline) and ``inception`` (Inception-v3
pool3, from weights the user has on disk). Any other name is looked up among the extractors
fitted with ``latentforge features fit`` (also written ``fitted:NAME``). Register your own with

    FEATURE_EXTRACTORS.add("mine", lambda: FeatureExtractor("mine", network, feature_dim=..., ...))
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from latentforge.errors import ConfigError
from latentforge.evaluation.fitted_features import fitted_names, fitted_root, load_fitted
from latentforge.metrics.features.base import FeatureExtractor
from latentforge.metrics.features.classifier import shipped_classifier
from latentforge.metrics.features.inception import inception_extractor
from latentforge.registry import Registry

FEATURE_EXTRACTORS: Registry[Callable[[], FeatureExtractor]] = Registry("feature extractor")
FEATURE_EXTRACTORS.add("classifier", shipped_classifier)
FEATURE_EXTRACTORS.add("inception", inception_extractor)

FITTED_PREFIX = "fitted:"


def available_extractors() -> list[str]:
    """Registered names, then the fitted ones found in the cache."""
    return [*FEATURE_EXTRACTORS.names(), *fitted_names()]


def load_feature_extractor(name: str, device: str | torch.device = "cpu") -> FeatureExtractor:
    """The extractor called ``name`` on ``device``; fails with the list of known names."""
    if name.startswith(FITTED_PREFIX):
        return load_fitted(name[len(FITTED_PREFIX) :]).to(device)
    if name in FEATURE_EXTRACTORS:
        return FEATURE_EXTRACTORS.get(name)().to(device)
    if name in fitted_names():
        return load_fitted(name).to(device)
    raise ConfigError(
        f"unknown feature extractor {name!r}; choose one of: {', '.join(available_extractors())} "
        f"(fitted extractors live in {fitted_root()}; make one with "
        f"`latentforge features fit --data DATA --out {name}`)"
    )
