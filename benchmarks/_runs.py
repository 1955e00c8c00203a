"""Helpers the benchmark scripts share: engine options on the CPU, train a run through the
library's API and time it, the throughput a run logged, and the JSON a benchmark prints."""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from latentforge.models.base import GenerativeModel
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig, RunConfig, train
from latentforge.utils.run_logs import read_metrics


def cpu_train_config(**options: Any) -> TrainConfig:
    """``TrainConfig(**options)`` on the CPU, with no progress bar, TensorBoard or loader
    workers (their time is not what a benchmark measures)."""
    return TrainConfig(device="cpu", progress=False, tensorboard=False, num_workers=0, **options)


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
        train=cpu_train_config(**train_options),
    )
    start = time.perf_counter()
    train(run, run_dir, overwrite=True)
    return load_model(run_dir), time.perf_counter() - start


def rate_records(run_dir: str | Path) -> list[dict[str, Any]]:
    """The records of ``run_dir``'s metrics.jsonl that carry a throughput (``images_per_s``),
    in the order logged."""
    return [r for r in read_metrics(run_dir) if "images_per_s" in r]


def spread(values: list[float], digits: int = 3) -> dict[str, float]:
    """The min, median and max of ``values``, rounded to ``digits``."""
    return {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
    }


def print_json(result: dict[str, Any], also_to: Path | None = None) -> None:
    """Print ``result`` as indented JSON; also write it to the file ``also_to`` when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if also_to is not None:
        also_to.write_text(text + "\n")


def torch_and_machine() -> dict[str, str]:
    """The torch version and the processor a benchmark ran on, for its JSON."""
    return {"torch": torch.__version__, "machine": platform.processor() or platform.machine()}
