"""Options of an evaluation (``latentforge evaluate``) and of evaluation during training."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from latentforge.config import Config, require
from latentforge.errors import ConfigError

ALL_METRICS = ("fid", "kid", "prdc", "modes", "nll", "recon", "paired")
TRAINING_METRICS = "fid,kid,prdc,modes"


def parse_metric_names(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"fid, kid"`` -> ``("fid", "kid")``; unknown names are an error listing the known ones."""
    from latentforge.evaluation.metrics import EVALUATION_METRICS

    names = text.split(",") if isinstance(text, str) else list(text)
    names = [name.strip().lower() for name in names if name.strip()]
    if not names:
        raise ConfigError(f"--metrics is empty; choose from {','.join(EVALUATION_METRICS)}")
    unknown = [name for name in names if name not in EVALUATION_METRICS]
    if unknown:
        raise ConfigError(
            f"unknown metric {', '.join(map(repr, unknown))} in --metrics; choose from "
            f"{','.join(EVALUATION_METRICS.names())}"
        )
    return tuple(dict.fromkeys(names))  # keep order, drop repeats


@dataclasses.dataclass
class EvaluationConfig(Config):
    """What to measure and how many samples to use."""

    metrics: tuple[str, ...] = ALL_METRICS
    n: int = 10_000  # generated samples; real images: up to n from the split
    features: str = "classifier"
    batch_size: int = 500
    seed: int = 0
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    nll_k: int = 100  # importance samples per image (Burda et al. used 5000)
    nll_images: int = 1000
    cache: bool = True

    def __post_init__(self) -> None:
        self.metrics = parse_metric_names(self.metrics)
        for name in ("n", "batch_size", "kid_subsets", "nll_k", "nll_images"):
            require(getattr(self, name) >= 1, f"--{name.replace('_', '-')} must be >= 1")
        require(self.n >= 2, f"-n must be at least 2, got {self.n}")
        require(self.kid_subset_size >= 2, "--kid-subset-size must be >= 2")


@dataclasses.dataclass
class TrainingEvalConfig(Config):
    """Evaluation during training (``latentforge train ... --eval-every N --keep-best fid``)."""

    eval_every: int | None = None
    eval_metrics: str = TRAINING_METRICS
    eval_n: int = 2000
    eval_features: str = "classifier"
    keep_best: str | None = None

    option_metavar: ClassVar[dict[str, str]] = {"eval_metrics": "A,B,...", "keep_best": "METRIC"}
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
        parse_metric_names(self.eval_metrics)

    @property
    def enabled(self) -> bool:
        return self.eval_every is not None or self.keep_best is not None

    def evaluation(self, seed: int) -> EvaluationConfig:
        return EvaluationConfig(
            metrics=parse_metric_names(self.eval_metrics),
            n=self.eval_n,
            features=self.eval_features,
            seed=seed,
            nll_images=min(500, self.eval_n),
        )
