"""Evaluation of generative models: ``evaluate_run`` for a run directory, :class:`Evaluator` for
any model and real image set, and :class:`EvaluationCallback` for evaluation during training.

    from latentforge.evaluation import EvaluationConfig, evaluate_run
    result = evaluate_run("runs/vae", EvaluationConfig(metrics=("fid", "kid", "nll"), n=5000))
    print(result.table())
"""

from latentforge.evaluation.config import ALL_METRICS, EvaluationConfig, TrainingEvalConfig
from latentforge.evaluation.metrics import EVALUATION_METRICS, HIGHER_IS_BETTER, EvaluationMetric
from latentforge.evaluation.results import EvaluationResult
from latentforge.evaluation.runner import Evaluator

__all__ = [
    "ALL_METRICS",
    "EVALUATION_METRICS",
    "HIGHER_IS_BETTER",
    "EvaluationConfig",
    "EvaluationMetric",
    "EvaluationResult",
    "Evaluator",
    "TrainingEvalConfig",
    "evaluate_run",
]


def __getattr__(name: str):
    # evaluate_run pulls in the training package; import it only when asked for.
    if name == "evaluate_run":
        from latentforge.evaluation.run import evaluate_run

        return evaluate_run
    raise AttributeError(name)
