"""What the engine-against-a-plain-loop benchmarks (``fast_path.py``, ``train_throughput.py``)
share: the model both sides start from, the plain loop's window timing, and an engine run."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

from _runs import rate_records
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer
from latentforge.training.run import build_for_data
from latentforge.utils.seeding import seed_everything


def fresh_model(model_type: str, options: dict[str, Any], data, seed: int):
    """The model both sides start from: built and initialised under ``seed``."""
    seed_everything(seed)
    model = build_for_data(model_type, options, data)
    seed_everything(seed)
    return model


def timed_steps(steps: int, window: int, batch_size: int, rates: list[float]) -> Iterator[int]:
    """The step numbers ``0 .. steps - 1`` for a hand-written loop; after every ``window``
    steps the images/s of that window is appended to ``rates`` (callers drop the first:
    warm-up)."""
    tick = time.perf_counter()
    for step in range(steps):
        yield step
        if (step + 1) % window == 0:
            now = time.perf_counter()
            rates.append(window * batch_size / (now - tick))
            tick = now


def engine_run(model, data, cfg: TrainConfig) -> tuple[list[dict[str, Any]], float]:
    """Train ``model`` through the engine with ``cfg`` in a temporary run folder: the logged
    records that carry ``images_per_s``, and the seconds training took."""
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        Trainer(model, data, cfg, run_dir, DistContext()).fit()
        wall = time.perf_counter() - start
        return rate_records(run_dir), wall
