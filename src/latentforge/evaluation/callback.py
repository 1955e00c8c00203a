"""Evaluation during training, as engine callbacks (``steps/hooks.py``):

- :class:`PeriodicEvaluation` scores the model every N epochs and after the last one (on the
  main process, with the EMA weights when the run keeps an EMA, i.e. the weights a checkpoint
  serves); its numbers join the epoch record as ``eval/<name>``, so ``metrics.jsonl``,
  TensorBoard and the report's curves get them.
- :class:`KeepBestCheckpoint` copies the checkpoint just written to ``checkpoints/best`` when the
  chosen number (``eval/fid``, ``val/loss``, ...) of that epoch beats the best so far.

:func:`train_with_evaluation` trains a run (``latentforge.training.run.train``) with the
callbacks its ``evaluation`` options ask for; the training package never imports this one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tqdm import tqdm

from latentforge.data.base import DataBundle
from latentforge.errors import ConfigError
from latentforge.evaluation.best import copy_best, is_better, read_best, resolve_best_metric
from latentforge.evaluation.metrics import EVALUATION_METRICS, EvaluationConfig, parse_metric_names
from latentforge.evaluation.runner import Evaluator
from latentforge.models.base import GenerativeModel
from latentforge.training.distributed import DistContext
from latentforge.training.eval_options import TrainingEvalConfig
from latentforge.training.run import RunConfig, train

if TYPE_CHECKING:
    from latentforge.training.engine import Trainer


@contextlib.contextmanager
def inference_weights(trainer: Trainer) -> Iterator[None]:
    """Swap the EMA weights in for the duration (nothing to do without an EMA)."""
    if trainer.ema is None:
        yield
        return
    module = trainer.model.ema_module()
    backup = {k: v.detach().clone() for k, v in module.state_dict().items()}
    module.load_state_dict(trainer.ema.state_dict())
    try:
        yield
    finally:
        module.load_state_dict(backup)


class PeriodicEvaluation:
    def __init__(self, evaluator: Evaluator, every: int) -> None:
        self.evaluator = evaluator
        self.every = every

    def due(self, epochs_done: int, total_epochs: int) -> bool:
        return epochs_done % self.every == 0 or epochs_done == total_epochs

    @torch.no_grad()
    def on_epoch_end(self, trainer: Trainer) -> dict[str, float] | None:
        if not trainer.ctx.is_main or not self.due(trainer.progress.epoch, trainer.cfg.epochs):
            return None
        with inference_weights(trainer):
            result = self.evaluator.evaluate(trainer.model)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in result.metrics.items())
        tqdm.write(f"epoch {trainer.progress.epoch} evaluation: {shown}")
        return {f"eval/{name}": value for name, value in result.metrics.items()}

    def after_checkpoint(self, trainer: Trainer, checkpoint: Path | None) -> None:
        return None


class KeepBestCheckpoint:
    """Keeps ``checkpoints/best`` at the epoch with the best ``metric`` (see
    :func:`~latentforge.evaluation.best.resolve_best_metric` for the names)."""

    def __init__(self, metric: str, run_dir: str | Path) -> None:
        self.key, self.mode = resolve_best_metric(metric)
        previous = read_best(Path(run_dir))  # a resumed run continues from its best so far
        same = previous is not None and previous.get("metric") == self.key
        self.best: float | None = float(previous["value"]) if same else None

    def on_epoch_end(self, trainer: Trainer) -> None:
        return None

    def after_checkpoint(self, trainer: Trainer, checkpoint: Path | None) -> None:
        if checkpoint is None:  # not the main process
            return
        value = trainer.epoch_record.get(self.key)
        if not isinstance(value, int | float) or not is_better(float(value), self.best, self.mode):
            return
        self.best = float(value)
        record = {
            "metric": self.key,
            "mode": self.mode,
            "value": self.best,
            "step": trainer.progress.step,
            "epoch": trainer.progress.epoch,
        }
        path = copy_best(checkpoint, record)
        tqdm.write(f"best {self.key} so far ({self.best:.4g}): copied {checkpoint.name} to {path}")


def _check_keep_best(config: TrainingEvalConfig, data: DataBundle) -> None:
    key, _ = resolve_best_metric(config.keep_best or "")
    prefix, short = key.split("/", 1)
    if prefix == "eval":
        if config.eval_every is None:
            raise ConfigError(f"--keep-best {config.keep_best} needs --eval-every N")
        metrics = [EVALUATION_METRICS.get(n) for n in parse_metric_names(config.eval_metrics)]
        if not any(short in metric.outputs for metric in metrics):
            raise ConfigError(
                f"--keep-best {config.keep_best}: {short!r} is not computed by --eval-metrics "
                f"{config.eval_metrics}; add the metric that gives it"
            )
    elif prefix == "val" and data.val is None:
        raise ConfigError(
            f"--keep-best {config.keep_best} needs a validation split; set --val-fraction > 0"
        )


def evaluation_config(config: TrainingEvalConfig, seed: int) -> EvaluationConfig:
    """What one evaluation during training measures."""
    return EvaluationConfig(
        metrics=parse_metric_names(config.eval_metrics),
        n=config.eval_n,
        features=config.eval_features,
        seed=seed,
        nll_images=min(500, config.eval_n),
    )


def check_training_eval(config: TrainingEvalConfig) -> None:
    """Fail on unknown metric names or a ``--keep-best`` name no metric gives, before any
    run directory is touched."""
    parse_metric_names(config.eval_metrics)
    if config.keep_best is not None:
        resolve_best_metric(config.keep_best)


def training_callbacks(
    run: RunConfig,
    model: GenerativeModel,
    data: DataBundle,
    run_dir: Path,
    ctx: DistContext,
) -> list:
    """The callbacks ``--eval-every`` and ``--keep-best`` ask for, checked before training."""
    config, seed, device, is_main = run.evaluation, run.train.seed, ctx.device, ctx.is_main
    callbacks: list = []
    if config.keep_best is not None:
        _check_keep_best(config, data)
    if config.eval_every is not None:
        split = "val" if data.val is not None and len(data.val) >= 2 else "train"
        evaluator = Evaluator(
            data.split(split),
            evaluation_config(config, seed),
            dataset=data.name,
            split=split,
            device=device,
        )
        if is_main:
            evaluator.check(model)  # a wrong extractor or shape fails now, not after an epoch
        callbacks.append(PeriodicEvaluation(evaluator, config.eval_every))
    if config.keep_best is not None:
        callbacks.append(KeepBestCheckpoint(config.keep_best, run_dir))
    return callbacks


def train_with_evaluation(run: RunConfig | None, run_dir: str | Path, **options) -> Path:
    """:func:`latentforge.training.run.train` with evaluation during training: the callbacks
    of ``run.evaluation`` (``--eval-every``, ``--keep-best``). ``options``: those of ``train``."""
    if run is not None:
        check_training_eval(run.evaluation)
    return train(run, run_dir, callbacks=training_callbacks, **options)
