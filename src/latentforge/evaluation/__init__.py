"""Evaluation of generative models: ``evaluate_run`` for a run directory, :class:`Evaluator` for
any model and real image set, and ``train_with_evaluation`` for evaluation during training.

    from latentforge.evaluation import EvaluationConfig, evaluate_run
    result = evaluate_run("runs/vae", EvaluationConfig(metrics=("fid", "kid", "nll"), n=5000))
    print(result.table())
"""

from latentforge.evaluation.callback import train_with_evaluation
from latentforge.evaluation.metrics import (
    ALL_METRICS,
    EVALUATION_METRICS,
    HIGHER_IS_BETTER,
    EvaluationConfig,
    EvaluationMetric,
)
from latentforge.evaluation.results import EvaluationResult
from latentforge.evaluation.run import evaluate_run
from latentforge.evaluation.runner import Evaluator

__all__ = [
    "ALL_METRICS",
    "EVALUATION_METRICS",
    "HIGHER_IS_BETTER",
    "EvaluationConfig",
    "EvaluationMetric",
    "EvaluationResult",
    "Evaluator",
    "evaluate_run",
    "train_with_evaluation",
]
