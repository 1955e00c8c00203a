"""``METRICS``: feature-based metrics by name, all with one signature.

    METRICS.get(name)(real_features, fake_features, **options) -> dict[str, float]

==========  ======================================  =========================================
name        returns                                 options
==========  ======================================  =========================================
``fid``     ``fid``                                 ``method``
``kid``     ``kid_mean``, ``kid_std``               ``n_subsets``, ``subset_size``, ``degree``,
                                                    ``gamma``, ``coef0``, ``seed``
``prdc``    ``precision``, ``recall``,              ``k_precision_recall``,
            ``density``, ``coverage``               ``k_density_coverage``, ``device``,
                                                    ``dtype``, ``block_elements``
``modes``   ``mode_coverage``, ``classes_covered``, ``num_classes``, ``min_count``,
            ``num_classes``, ``kl_fake_real``,      ``min_share``, ``smoothing``
            ``kl_real_fake``
==========  ======================================  =========================================

"Features" are (N, D) arrays from one feature extractor; for ``fid`` the real side may be cached
:class:`~latentforge.metrics.frechet.FeatureStats`; for ``modes`` they are a classifier's
predictions (labels (N,) or scores (N, C)) and the real side may be ``None`` (uniform classes).

Two families are not feature metrics and are called directly: the likelihood estimates need an
encoder and a decoder (``importance_weighted_nll(x, encode_fn, log_likelihood_fn, k=...)`` and
``negative_elbo(...)`` in :mod:`latentforge.metrics.likelihood`), and image quality needs paired
images (``psnr(pred, target)``, ``ssim(pred, target)``, ``mse(pred, target)`` in
:mod:`latentforge.metrics.image_quality`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from latentforge.errors import ConfigError
from latentforge.metrics.frechet import frechet_distance_from_features
from latentforge.metrics.kid import kernel_inception_distance
from latentforge.metrics.modes import mode_coverage
from latentforge.metrics.prdc import precision_recall_density_coverage
from latentforge.registry import Registry


class FeatureMetric(Protocol):
    def __call__(
        self, real_features: Any, fake_features: Any, /, **options: Any
    ) -> dict[str, float]:
        """Compare fake features with real ones; return named numbers."""
        ...


METRICS: Registry[FeatureMetric] = Registry("metric")


def _call(name: str, function: Callable[..., Any], *inputs: Any, **options: Any) -> Any:
    """``function(*inputs, **options)`` after checking every option is one it accepts."""
    accepted = list(inspect.signature(function).parameters)[len(inputs) :]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(
            f"metric {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(accepted)}"
        )
    return function(*inputs, **options)


@METRICS.register("fid")
def fid(real_features: Any, fake_features: Any, /, **options: Any) -> dict[str, float]:
    """Frechet distance of Gaussian fits (FID with Inception features)."""
    distance = _call("fid", frechet_distance_from_features, real_features, fake_features, **options)
    return {"fid": distance}


@METRICS.register("kid")
def kid(real_features: Any, fake_features: Any, /, **options: Any) -> dict[str, float]:
    """Kernel (Inception) distance: unbiased MMD^2, cubic polynomial kernel, over subsets."""
    return _call("kid", kernel_inception_distance, real_features, fake_features, **options)


@METRICS.register("prdc")
def prdc(real_features: Any, fake_features: Any, /, **options: Any) -> dict[str, float]:
    """Precision, recall (k = 3), density and coverage (k = 5) from k-NN balls."""
    return _call("prdc", precision_recall_density_coverage, real_features, fake_features, **options)


@METRICS.register("modes")
def modes(real_predictions: Any, fake_predictions: Any, /, **options: Any) -> dict[str, float]:
    """Mode coverage and class-frequency KLs from classifier predictions (histogram left out)."""
    result = _call("modes", mode_coverage, fake_predictions, real_predictions, **options)
    return {key: float(value) for key, value in result.items() if key != "histogram"}


def compute_feature_metrics(
    names: Iterable[str],
    real_features: Any,
    fake_features: Any,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """Run several registered metrics on one pair of feature sets and merge their results.

    ``options`` maps a metric name to its keyword options, e.g. ``{"kid": {"subset_size": 500}}``.
    """
    options = dict(options or {})
    names = list(names)
    stray = sorted(set(options) - set(names))
    if stray:
        raise ConfigError(f"options given for metrics not requested: {', '.join(stray)}")
    results: dict[str, float] = {}
    for name in names:
        results.update(METRICS.get(name)(real_features, fake_features, **options.get(name, {})))
    return results
