"""Ways to extend a training run without editing the engine.

- A model's ``monitors()`` watch the logged numbers and raise :class:`HealthWarning` s
  (GAN failure modes); the engine writes them to ``warnings.jsonl`` and the report.
- ``Callback`` s run at the end of each epoch (evaluation metrics, keeping the best
  checkpoint) and may return numbers to log with the epoch. A callback that also has
  ``on_step_end`` (:class:`StepCallback`) runs after every training cycle too. A model adds
  its own callbacks through ``callbacks()`` (a progressive GAN's grid at the end of each stage).
- A batch transform changes each batch before the model sees it (corrupting inputs
  for denoising, say); it runs for training, validation and the image grids alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor

from latentforge.steps.train_config import TrainConfig

Batch = dict[str, Tensor]
BatchTransform = Callable[[Batch], Batch]


@dataclass
class HealthWarning:
    """A named failure (``"mode-collapse"``), what was seen and what to try."""

    kind: str
    message: str
    step: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "step": self.step}


class Monitor(Protocol):
    def observe(self, record: dict[str, Any], step: int) -> list[HealthWarning]:
        """Look at one log record (``train/<phase>/<name>`` means over the interval)."""
        ...


class TrainingProgress(Protocol):
    epoch: int  # the epoch in progress (0-based)
    step: int  # training cycles done


class RunningTrainer(Protocol):
    """What a callback may read of the engine that runs it (``training.engine.Trainer``)."""

    model: Any  # the GenerativeModel being trained
    cfg: TrainConfig
    ctx: Any  # the process's DistContext: device, rank, is_main
    progress: TrainingProgress
    ema: Any  # the EMA of ``model.ema_module()``, or None
    epoch_record: dict[str, Any]  # the numbers of the epoch just ended
    run_dir: Path

    def write_grids(
        self, render: Callable[[torch.Generator], dict[str, Tensor]], filename: str
    ) -> None:
        """Save the images ``render`` draws as grids under ``RUN/images/NAME/filename``."""
        ...


class Callback(Protocol):
    def on_epoch_end(self, trainer: RunningTrainer) -> dict[str, float] | None:
        """Runs on every process after validation; returned numbers join the epoch record."""
        ...

    def after_checkpoint(self, trainer: RunningTrainer, checkpoint: Path | None) -> None:
        """Runs after the end-of-epoch checkpoint (``checkpoint`` is None off the main process)."""
        ...


class StepCallback(Callback, Protocol):
    def on_step_end(self, trainer: RunningTrainer) -> None:
        """Runs on every process after each training cycle (``trainer.progress.step`` already
        counts it), before the cycle is logged or checkpointed; keep it cheap."""
        ...
