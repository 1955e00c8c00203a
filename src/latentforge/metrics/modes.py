"""Mode coverage from a classifier's predictions on generated (and real) samples.

With n_c generated samples predicted as class c out of n, and real class frequencies r_c:

    p_c            = n_c / n
    classes hit    = #{c : n_c >= min_count and p_c >= min_share}
    mode_coverage  = classes hit / C
    KL(p || r)     = sum_c p_c log(p_c / r_c)     (0 log 0 = 0; +inf when p_c > 0 = r_c)
    KL(r || p)     = sum_c r_c log(r_c / p_c)     (+inf as soon as a real class is never generated)

This is the "number of modes" / "reverse KL" evaluation used for mode collapse, e.g. on stacked
MNIST in Metz et al. 2017 (https://arxiv.org/abs/1611.02163) and Srivastava et al. 2017
(VEEGAN, https://arxiv.org/abs/1705.07761). Without real labels the real distribution is taken
as uniform over the C classes (balanced datasets such as MNIST or Fashion-MNIST).
"""

from __future__ import annotations

import numpy as np

from latentforge.errors import ConfigError, ShapeError
from latentforge.metrics._inputs import ArrayLike, positive_int, to_numpy


def predicted_labels(predictions: ArrayLike, name: str, num_classes: int | None) -> np.ndarray:
    """Integer labels (N,) from labels (N,) or from logits / probabilities (N, C) by argmax."""
    array = to_numpy(predictions, name)
    if array.ndim == 2:
        if num_classes is not None and array.shape[1] != num_classes:
            raise ShapeError(f"{name} has {array.shape[1]} columns but num_classes={num_classes}")
        return array.argmax(axis=1)
    if array.ndim != 1:
        raise ShapeError(
            f"{name} must be labels (N,) or class scores (N, C), got shape {tuple(array.shape)}"
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.array_equal(array, np.round(array)):
            raise ConfigError(f"{name} holds non-integer labels; pass int labels or (N, C) scores")
        array = array.astype(np.int64)
    return array.astype(np.int64, copy=False)


def class_histogram(labels: np.ndarray, num_classes: int, name: str = "labels") -> np.ndarray:
    """Counts per class, shape (C,); labels outside [0, C) are an error."""
    if labels.size == 0:
        raise ShapeError(f"{name} is empty; pass at least one prediction")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ConfigError(
            f"{name} has labels outside [0, {num_classes}) (min {labels.min()}, "
            f"max {labels.max()}); "
            "set num_classes to the classifier's number of classes"
        )
    return np.bincount(labels, minlength=num_classes)


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum_c p_c log(p_c / q_c) in nats; 0 log 0 = 0, and +inf if q_c = 0 < p_c."""
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def mode_coverage(
    fake_predictions: ArrayLike,
    real_predictions: ArrayLike | None = None,
    num_classes: int | None = None,
    min_count: int = 1,
    min_share: float = 0.0,
    smoothing: float = 0.0,
) -> dict[str, float | list[int]]:
    """Share of classes generated, class-frequency KL divergences and the generated histogram.

    ``fake_predictions`` / ``real_predictions``: classifier outputs, either labels (N,) or
    logits / probabilities (N, C). ``real_predictions=None`` means a uniform real distribution.
    A class counts as generated when it gets at least ``min_count`` samples (default 1) and at
    least the share ``min_share`` of all samples (default 0); raise ``min_share`` (e.g. to
    0.1 / C) so a few stray samples do not count as a covered mode. ``smoothing`` adds that
    pseudo-count to every class before the KLs, which keeps KL(real || fake) finite when a class
    is missing (the default 0 reports +inf then, which is the honest value).

    Returns ``num_classes``, ``classes_covered``, ``mode_coverage`` (best: 1),
    ``kl_fake_real`` = KL(p_fake || p_real) and ``kl_real_fake`` = KL(p_real || p_fake)
    (best: 0), and ``histogram`` (list of generated counts per class).
    """
    if num_classes is None:
        num_classes = _infer_num_classes(fake_predictions, real_predictions)
    num_classes = positive_int(num_classes, "num_classes")
    min_count = positive_int(min_count, "min_count")
    if not 0.0 <= min_share <= 1.0:
        raise ConfigError(f"min_share must lie in [0, 1], got {min_share}")
    if smoothing < 0:
        raise ConfigError(f"smoothing must be >= 0, got {smoothing}")

    fake_counts = class_histogram(
        predicted_labels(fake_predictions, "fake_predictions", num_classes),
        num_classes,
        "fake_predictions",
    )
    if real_predictions is None:
        real_counts = np.ones(num_classes, dtype=np.int64)
    else:
        real_counts = class_histogram(
            predicted_labels(real_predictions, "real_predictions", num_classes),
            num_classes,
            "real_predictions",
        )
    shares = fake_counts / fake_counts.sum()
    covered = int(np.sum((fake_counts >= min_count) & (shares >= min_share)))
    p_fake = _normalise(fake_counts + smoothing)
    p_real = _normalise(real_counts + smoothing)
    return {
        "num_classes": num_classes,
        "classes_covered": covered,
        "mode_coverage": covered / num_classes,
        "kl_fake_real": kl_divergence(p_fake, p_real),
        "kl_real_fake": kl_divergence(p_real, p_fake),
        "histogram": [int(count) for count in fake_counts],
    }


def _normalise(counts: np.ndarray) -> np.ndarray:
    counts = counts.astype(np.float64)
    return counts / counts.sum()


def _infer_num_classes(fake: ArrayLike, real: ArrayLike | None) -> int:
    """C from the width of class scores, else from the largest real label (+1).

    Generated labels alone cannot tell C: a collapsed generator that only makes classes 0..3
    would look complete, so that case asks for ``num_classes``.
    """
    for x in (fake, real):
        if x is not None and to_numpy(x, "predictions").ndim == 2:
            return to_numpy(x, "predictions").shape[1]
    if real is None:
        raise ConfigError(
            "num_classes is needed when fake_predictions are labels and no real_predictions are "
            "given; pass num_classes=<number of classes of the classifier>"
        )
    labels = [to_numpy(x, "predictions") for x in (fake, real)]
    if any(array.size == 0 for array in labels):
        raise ShapeError("predictions are empty; pass at least one prediction")
    return int(max(np.max(array) for array in labels)) + 1
