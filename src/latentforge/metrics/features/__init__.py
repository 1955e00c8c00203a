"""Feature extractors for the feature metrics (FID-style distance, KID, PRDC, modes).

``load_feature_extractor(name)`` gives a :class:`FeatureExtractor`: images (N, C, H, W) in [0, 1]
-> features (N, D), plus class logits when it is a classifier. Names: ``classifier`` (shipped,
offline), ``inception`` (weights on disk), and extractors fitted with ``latentforge features
fit``. Real-data features are cached per dataset, split and extractor by :mod:`.cache`.
"""

from latentforge.evaluation.feature_extractors import (
    FEATURE_EXTRACTORS,
    available_extractors,
    load_feature_extractor,
)
from latentforge.evaluation.fitted_features import FitOptions, fit_extractor, load_fitted
from latentforge.metrics.features.base import FeatureExtractor, FeatureSet
from latentforge.metrics.features.cache import RealFeatureCache, RealFeatures

__all__ = [
    "FEATURE_EXTRACTORS",
    "FeatureExtractor",
    "FeatureSet",
    "FitOptions",
    "RealFeatureCache",
    "RealFeatures",
    "available_extractors",
    "fit_extractor",
    "load_feature_extractor",
    "load_fitted",
]
