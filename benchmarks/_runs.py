"""Helpers the benchmark scripts share: train a run through the library's API and time it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from latentforge.models.base import GenerativeModel
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig, RunConfig, train


def train_model(
    model_type: str,
    model: dict[str, Any],
    data: dict[str, Any],
    train_options: dict[str, Any],
    run_dir: Path,
) -> tuple[GenerativeModel, float]:
    """Train a fresh run in ``run_dir`` (replacing any there); the inference model and seconds."""
    run = RunConfig(
        model_type=model_type,
        model=model,
        data=DataConfig(**data),
        train=TrainConfig(
            device="cpu", progress=False, tensorboard=False, num_workers=0, **train_options
        ),
    )
    start = time.perf_counter()
    train(run, run_dir, overwrite=True)
    return load_model(run_dir), time.perf_counter() - start
