"""A health monitor for the classic GAN failures, fed by the numbers the phases log.

The engine hands each log record to :meth:`GANHealthMonitor.observe`; a record holds means over
the log interval under ``train/<phase>/<name>``. From the discriminator phase: ``accuracy``,
``loss_vs_chance`` (L_D over its value at chance; bounded losses only), ``score_scale``
(mean |raw score|), ``d_real`` / ``d_fake``; from the generator phase: ``grad_norm`` (the
gradient that reaches the generator), ``diversity`` (mean pairwise distance of generated
images over that of real ones) and ``loss_ratio`` (see ``models/adversarial.py``).

=====================  ==============================================================
warning                fires when, for ``patience`` records in a row (``long_patience``
                       for imbalance)
=====================  ==============================================================
vanishing-gradients    accuracy >= ``confident_accuracy`` and grad_norm <=
                       ``vanished_fraction`` x its peak over the last ``window``
                       records (a collapse, not the slow decline of a healthy run)
mode-collapse          diversity <= ``collapse_ratio`` after it had reached
                       ``diverse_ratio``, or from ``grace_steps`` on (a generator
                       starts out making near-identical images)
unbalanced-updates     loss_vs_chance <= ``d_dominates_below`` (D wins) or >=
                       ``g_dominates_above`` (G wins)
divergence             any logged value is NaN/Inf (at once), or score_scale >
                       ``explode_factor`` x max(1, its median over the first
                       ``baseline_records`` records)
non-convergence        in the last ``window`` records the winner (accuracy >=
                       ``winning_accuracy``: D; <= ``losing_accuracy``: G) changes at
                       least ``swings`` times
=====================  ==============================================================

An fp16 step that the gradient scaler skipped (its scaled gradients overflowed) is not
divergence: the engine logs no ``grad_norm`` for it and counts it in
``train/<phase>/skipped_steps`` instead; a non-finite loss stops training before any record.

A warning fires once when its condition has held long enough and again only after the
condition has cleared. See ``docs/concepts/gans.md`` for the reasoning behind each rule.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any

from latentforge.steps.hooks import HealthWarning

VANISHING = "vanishing-gradients"
MODE_COLLAPSE = "mode-collapse"
UNBALANCED = "unbalanced-updates"
DIVERGENCE = "divergence"
NON_CONVERGENCE = "non-convergence"


@dataclass
class HealthThresholds:
    """When each warning fires (counts are log records, not steps)."""

    patience: int = 3
    long_patience: int = 10
    confident_accuracy: float = 0.95
    vanished_fraction: float = 0.1
    collapse_ratio: float = 0.5
    diverse_ratio: float = 0.75
    grace_steps: int = 1000
    d_dominates_below: float = 0.1
    g_dominates_above: float = 1.5
    explode_factor: float = 100.0
    baseline_records: int = 3
    window: int = 12
    swings: int = 4
    winning_accuracy: float = 0.9
    losing_accuracy: float = 0.5


class GANHealthMonitor:
    """Watches a GAN's log records and returns :class:`HealthWarning` s (a ``Monitor``)."""

    def __init__(
        self,
        d_phase: str = "discriminator",
        g_phase: str = "generator",
        thresholds: HealthThresholds | None = None,
    ) -> None:
        self.d_key = f"train/{d_phase}/"
        self.g_key = f"train/{g_phase}/"
        self.t = thresholds or HealthThresholds()
        self.streaks: dict[str, int] = {}
        self.recent_grad_norms: deque[float] = deque(maxlen=self.t.window)
        self.peak_diversity = 0.0
        self.baseline_scales: list[float] = []
        self.winners: deque[str] = deque(maxlen=self.t.window)

    def observe(self, record: dict[str, Any], step: int) -> list[HealthWarning]:
        """Warnings raised by this record (usually none)."""
        found = [
            self._non_finite(record),
            self._vanishing(record),
            self._mode_collapse(record, step),
            self._unbalanced(record),
            self._exploding(record),
            self._oscillating(record),
        ]
        holding: dict[str, tuple[str, int]] = {}
        for kind, message, patience in filter(None, found):
            holding.setdefault(kind, (message, patience))  # the first check of a kind speaks
        warnings = []
        for kind, (message, patience) in holding.items():
            self.streaks[kind] = self.streaks.get(kind, 0) + 1
            if self.streaks[kind] == patience:
                warnings.append(HealthWarning(kind, message, step))
        for kind in set(self.streaks) - set(holding):
            self.streaks[kind] = 0  # the condition cleared: the warning may fire again later
        return warnings

    # Each check returns (kind, message, patience) while its condition holds, else None.

    def _get(self, record: dict[str, Any], key: str) -> float | None:
        value = record.get(key)
        return float(value) if isinstance(value, int | float) else None

    def _non_finite(self, record: dict[str, Any]) -> tuple[str, str, int] | None:
        for key, value in record.items():
            number = _as_number(value)
            if key.startswith("train/") and number is not None and not math.isfinite(number):
                return (
                    DIVERGENCE,
                    f"divergence: {key} became {number}. Training is blowing up; try lower "
                    "learning rates (--lr-d, --lr-g), --grad-clip 1.0, --precision fp32, or "
                    "resume from an earlier checkpoint",
                    1,
                )
        return None

    def _vanishing(self, record: dict[str, Any]) -> tuple[str, str, int] | None:
        grad_norm = self._get(record, self.g_key + "grad_norm")
        accuracy = self._get(record, self.d_key + "accuracy")
        if grad_norm is None or accuracy is None or not math.isfinite(grad_norm):
            return None
        self.recent_grad_norms.append(grad_norm)
        peak = max(self.recent_grad_norms)
        if accuracy < self.t.confident_accuracy or grad_norm > self.t.vanished_fraction * peak:
            return None
        share = grad_norm / peak if peak > 0 else 0.0
        return (
            VANISHING,
            f"vanishing gradients: the gradient reaching the generator fell to {grad_norm:.3g} "
            f"({share:.1%} of its recent peak {peak:.3g}) while the discriminator is right "
            f"{accuracy:.0%} of the time, so the generator's loss saturates and it stops "
            "learning. Try --loss non-saturating (or wasserstein-gp), a lower --lr-d, fewer "
            "--d-steps, or a smaller discriminator",
            self.t.patience,
        )

    def _mode_collapse(self, record: dict[str, Any], step: int) -> tuple[str, str, int] | None:
        diversity = self._get(record, self.g_key + "diversity")
        if diversity is None or not math.isfinite(diversity):
            return None
        self.peak_diversity = max(self.peak_diversity, diversity)
        fell = self.peak_diversity >= self.t.diverse_ratio
        if diversity > self.t.collapse_ratio or not (fell or step >= self.t.grace_steps):
            return None
        history = (
            f"down from {self.peak_diversity:.2f}"
            if fell
            else f"never above {self.peak_diversity:.2f} in {step} steps"
        )
        return (
            MODE_COLLAPSE,
            f"mode collapse: generated images are {diversity:.2f} times as diverse as real ones "
            f"({history}; mean pairwise distance, 1 = as diverse), so the generator covers "
            "only a few modes. Try --loss wasserstein-gp, a lower --lr-g, more --d-steps, a larger "
            "--z-dim, or resume from a checkpoint before the collapse",
            self.t.patience,
        )

    def _unbalanced(self, record: dict[str, Any]) -> tuple[str, str, int] | None:
        ratio = self._get(record, self.d_key + "loss_vs_chance")
        if ratio is None:
            return None
        if ratio <= self.t.d_dominates_below:
            return (
                UNBALANCED,
                f"unbalanced updates: the discriminator dominates (its loss is {ratio:.0%} of "
                f"its chance level, for {self.t.long_patience} log intervals), so the "
                "generator gets little useful signal. Try a lower --lr-d, fewer --d-steps, "
                "more --g-steps, or a smaller discriminator",
                self.t.long_patience,
            )
        if ratio >= self.t.g_dominates_above:
            return (
                UNBALANCED,
                f"unbalanced updates: the generator dominates (the discriminator's loss is "
                f"{ratio:.2f} times its chance level, for {self.t.long_patience} log "
                "intervals), so the discriminator no longer guides it. Try a higher --lr-d, "
                "more --d-steps, fewer --g-steps, or a larger discriminator",
                self.t.long_patience,
            )
        return None

    def _exploding(self, record: dict[str, Any]) -> tuple[str, str, int] | None:
        scale = self._get(record, self.d_key + "score_scale")
        if scale is None or not math.isfinite(scale):
            return None
        if len(self.baseline_scales) < self.t.baseline_records:
            self.baseline_scales.append(scale)
            return None
        baseline = max(1.0, statistics.median(self.baseline_scales))
        if scale <= self.t.explode_factor * baseline:
            return None
        return (
            DIVERGENCE,
            f"divergence: the discriminator's scores exploded to a mean size of {scale:.3g} "
            f"(about {baseline:.3g} at the start). Try a lower --lr-d, a smaller --clip, "
            "--loss wasserstein-gp, --grad-clip 1.0, or resume from an earlier checkpoint",
            self.t.patience,
        )

    def _oscillating(self, record: dict[str, Any]) -> tuple[str, str, int] | None:
        accuracy = self._get(record, self.d_key + "accuracy")
        if accuracy is None:
            return None
        if accuracy >= self.t.winning_accuracy:
            self.winners.append("discriminator")
        elif accuracy <= self.t.losing_accuracy:
            self.winners.append("generator")
        else:
            self.winners.append("")
        decided = [w for w in self.winners if w]
        turns = sum(a != b for a, b in zip(decided, decided[1:]))
        if turns < self.t.swings:
            return None
        return (
            NON_CONVERGENCE,
            f"non-convergence: the discriminator and the generator took turns winning {turns} "
            f"times in the last {len(self.winners)} log intervals without settling. Try lower "
            "learning rates (--lr-d, --lr-g), --beta1 0.5, --ema-decay 0.999 for the samples, "
            "or --loss wasserstein-gp",
            1,
        )


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    return None
