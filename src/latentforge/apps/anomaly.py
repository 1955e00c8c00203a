"""Anomaly detection with an autoencoder: an image the model explains badly is an anomaly.

Each image gets a score (:mod:`latentforge.apps.anomaly_scores`: ``recon``, ``ssim``, ``elbo``,
``elbo-excess``; higher = more anomalous). The threshold t comes from the scores s_1..s_n of
normal (training) images, by one rule:

``percentile``  t = the q-th percentile of the s_i (``numpy.percentile``, linear interpolation)
``std``         t = mean(s) + k * std(s) (population standard deviation, ddof = 0)

and an image is flagged anomalous when s(x) > t. With labels, AUROC and AUPRC (average
precision) measure the ranking the score gives, independently of t.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import Tensor, nn

from latentforge.apps.anomaly_scores import SCORES, anomaly_scores
from latentforge.data.base import ImageSet
from latentforge.errors import ConfigError, DataError

__all__ = [
    "SCORES",
    "AnomalyDetector",
    "ThresholdRule",
    "anomaly_scores",
    "detection_metrics",
    "fit_detector",
    "score_statistics",
]
THRESHOLD_RULES = ("percentile", "std")
TRAIN_PERCENTILES = (50, 90, 95, 99)


@dataclasses.dataclass(frozen=True)
class ThresholdRule:
    """``percentile`` q in [0, 100] or ``std`` k: t = percentile_q(s) or mean(s) + k std(s)."""

    kind: str = "percentile"
    value: float = 95.0

    def __post_init__(self) -> None:
        if self.kind not in THRESHOLD_RULES:
            raise ConfigError(
                f"threshold rule {self.kind!r} is unknown; use one of {', '.join(THRESHOLD_RULES)}"
            )
        if not math.isfinite(self.value):
            raise ConfigError(f"the threshold {self.kind} must be finite, got {self.value}")
        if self.kind == "percentile" and not 0.0 <= self.value <= 100.0:
            raise ConfigError(f"--percentile must be in [0, 100], got {self.value:g}")

    def threshold(self, scores: np.ndarray) -> float:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.size == 0:
            raise DataError("cannot fit a threshold on no scores: the normal data is empty")
        if self.kind == "percentile":
            return float(np.percentile(scores, self.value))
        return float(scores.mean() + self.value * scores.std())

    def describe(self) -> str:
        if self.kind == "percentile":
            return f"{self.value:g}th percentile of the training scores"
        return f"mean + {self.value:g} std of the training scores"


def score_statistics(scores: np.ndarray) -> dict[str, float]:
    """Count, mean, std (ddof 0), min, max and a few percentiles of ``scores``."""
    scores = np.asarray(scores, dtype=np.float64)
    stats = {
        "count": int(scores.size),
        "mean": float(scores.mean()),
        "std": float(scores.std()),
        "min": float(scores.min()),
        "max": float(scores.max()),
    }
    stats.update({f"p{q}": float(np.percentile(scores, q)) for q in TRAIN_PERCENTILES})
    return stats


@dataclasses.dataclass
class AnomalyDetector:
    """A fitted detector: the score, the threshold rule and value, and the training statistics.

    ``model`` identifies the weights it was fitted with (checkpoint name and sha256).
    """

    score: str
    rule: ThresholdRule
    threshold: float
    train_stats: dict[str, float]
    samples: int = 1
    seed: int = 0
    model: dict[str, str] = dataclasses.field(default_factory=dict)

    def scores(self, model: nn.Module, data: Tensor | ImageSet, batch_size: int = 256):
        """The detector's score of each image (same kind, samples and seed as when fitted)."""
        return anomaly_scores(
            model, data, self.score, samples=self.samples, seed=self.seed, batch_size=batch_size
        )

    def flags(self, scores: np.ndarray) -> np.ndarray:
        """True where s > t (anomalous)."""
        return np.asarray(scores) > self.threshold

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["rule"] = {"kind": self.rule.kind, "value": self.rule.value}
        values["rule_description"] = self.rule.describe()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "anomaly detector") -> AnomalyDetector:
        try:
            rule = ThresholdRule(**values["rule"])
            fields = {f.name for f in dataclasses.fields(cls)} - {"rule"}
            return cls(rule=rule, **{k: v for k, v in values.items() if k in fields})
        except (KeyError, TypeError) as err:
            raise ConfigError(f"{source} is not a valid anomaly detector ({err})") from None


def fit_detector(
    model: nn.Module,
    normal: Tensor | ImageSet,
    score: str = "recon",
    rule: ThresholdRule | None = None,
    *,
    samples: int = 1,
    seed: int = 0,
    batch_size: int = 256,
) -> AnomalyDetector:
    """Score the ``normal`` images and set the threshold from those scores by ``rule``."""
    rule = rule or ThresholdRule()
    scores = anomaly_scores(model, normal, score, samples=samples, seed=seed, batch_size=batch_size)
    return AnomalyDetector(
        score, rule, rule.threshold(scores), score_statistics(scores), samples, seed
    )


def detection_metrics(
    scores: np.ndarray, is_anomaly: np.ndarray, flags: np.ndarray | None = None
) -> dict[str, float]:
    """AUROC and AUPRC (average precision) of ``scores`` against 0/1 ``is_anomaly`` labels.

    With ``flags`` (the thresholded decisions) also their precision, recall and false-positive
    rate. Both classes must be present.
    """
    is_anomaly = np.asarray(is_anomaly).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if is_anomaly.shape != scores.shape:
        raise DataError(f"{is_anomaly.size} labels for {scores.size} scores; give one per image")
    n_anomalous = int(is_anomaly.sum())
    if n_anomalous in (0, is_anomaly.size):
        raise DataError(
            "AUROC needs both normal and anomalous images, but the labels mark "
            f"{'none' if n_anomalous == 0 else 'all'} of the {is_anomaly.size} as anomalous"
        )
    metrics = {
        "auroc": float(roc_auc_score(is_anomaly, scores)),
        "auprc": float(average_precision_score(is_anomaly, scores)),
        "count": int(is_anomaly.size),
        "anomalous": n_anomalous,
    }
    if flags is not None:
        flags = np.asarray(flags).astype(bool)
        true_positives = int((flags & is_anomaly).sum())
        metrics["precision_at_threshold"] = true_positives / max(int(flags.sum()), 1)
        metrics["recall_at_threshold"] = true_positives / n_anomalous
        metrics["false_positive_rate"] = int((flags & ~is_anomaly).sum()) / int((~is_anomaly).sum())
    return metrics
