"""Feature extractors for the feature metrics (FID-style distance, KID, PRDC, modes).

A :class:`FeatureExtractor` maps images (N, C, H, W) in [0, 1] to features (N, D), plus class
logits when it is a classifier: the shipped classifier (:mod:`.classifier`, offline) and
Inception-v3 (:mod:`.inception`, weights on disk). Real-data features are cached per dataset,
split and extractor by :mod:`.cache`. Extractors by name, including those fitted to the user's
data, are looked up in ``latentforge.evaluation.feature_extractors``.
"""

from latentforge.metrics.features.base import FeatureExtractor, FeatureSet
from latentforge.metrics.features.cache import RealFeatureCache, RealFeatures

__all__ = ["FeatureExtractor", "FeatureSet", "RealFeatureCache", "RealFeatures"]
