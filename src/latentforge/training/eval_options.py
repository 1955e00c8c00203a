"""Options of evaluation during training: how often, which metrics, which checkpoint to keep.

The run keeps them in its ``config.json``; the evaluation package turns them into engine
callbacks (``latentforge.evaluation.callback``), and checks the metric names there.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from latentforge.config import Config, require

TRAINING_METRICS = "fid,kid,prdc,modes"


@dataclasses.dataclass
class TrainingEvalConfig(Config):
    """Evaluation during training (``latentforge train ... --eval-every N --keep-best fid``)."""

    eval_every: int | None = None
    eval_metrics: str = TRAINING_METRICS
    eval_n: int = 2000
    eval_features: str = "classifier"
    keep_best: str | None = None

    option_help: ClassVar[dict[str, str]] = {
        "eval_every": "evaluate every N epochs (and after the last); metrics land as eval/NAME",
        "eval_metrics": "comma-separated: fid,kid,prdc,modes,nll,recon,paired",
        "eval_n": "generated samples per evaluation",
        "eval_features": "feature extractor: classifier, inception or a fitted NAME",
        "keep_best": "copy the best checkpoint to checkpoints/best by this metric (fid, "
        "val/loss, coverage:max, ...; lower is better unless :max or a higher-is-better metric)",
    }

    def __post_init__(self) -> None:
        require(
            self.eval_every is None or self.eval_every >= 1,
            f"--eval-every must be >= 1, got {self.eval_every}",
        )
        require(self.eval_n >= 2, f"--eval-n must be >= 2, got {self.eval_n}")
        require(bool(self.eval_metrics.strip()), "--eval-metrics is empty; name one or more")

    @property
    def enabled(self) -> bool:
        return self.eval_every is not None or self.keep_best is not None
