"""Keeping the best checkpoint of a run by one logged number.

    RUN/checkpoints/best/        a full copy of the best step-* checkpoint, plus
    RUN/checkpoints/best/best.json   {"metric", "mode", "value", "step", "epoch", "checkpoint"}

The copy is made into a hidden folder and swapped in by renames (``replace_dir``), so the
previous best stays whole until the new one is complete. ``load_model(RUN/checkpoints/best)``
loads it like any saved model.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

from latentforge.errors import CheckpointError, ConfigError
from latentforge.evaluation.metrics import EVALUATION_METRICS, HIGHER_IS_BETTER
from latentforge.training.checkpoint import CHECKPOINTS
from latentforge.utils.files import atomic_write_json, read_json, replace_dir

BEST = "best"
BEST_JSON = "best.json"
MODES = ("min", "max")


def resolve_best_metric(spec: str) -> tuple[str, str]:
    """``"fid"`` -> ``("eval/fid", "min")``; ``"coverage"`` -> ``("eval/coverage", "max")``;
    ``"val/loss"`` stays; ``NAME:max`` / ``NAME:min`` set the direction explicitly; a metric
    group (``kid``) means its primary number (``kid_mean``)."""
    name, _, mode = spec.strip().partition(":")
    if not name:
        raise ConfigError("--keep-best needs a metric name, e.g. --keep-best fid")
    if "/" not in name:
        if name in EVALUATION_METRICS:
            name = EVALUATION_METRICS.get(name).primary
        name = f"eval/{name}"
    short = name.split("/", 1)[1]
    mode = mode or ("max" if short in HIGHER_IS_BETTER else "min")
    if mode not in MODES:
        raise ConfigError(f"--keep-best {spec!r}: the direction must be :min or :max")
    return name, mode


def read_best(run_dir: Path) -> dict[str, Any] | None:
    path = Path(run_dir) / CHECKPOINTS / BEST / BEST_JSON
    if not path.is_file():
        return None
    try:
        return read_json(path, "best-checkpoint record")
    except CheckpointError:
        return None


def is_better(value: float, best: float | None, mode: str) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if mode == "min" else value > best


def copy_best(checkpoint: Path, record: dict[str, Any]) -> Path:
    """Copy ``checkpoint`` to ``checkpoints/best`` with ``record`` as ``best.json``."""
    checkpoint = Path(checkpoint)
    final = checkpoint.parent / BEST
    staged = checkpoint.parent / f".tmp-{BEST}-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    try:
        shutil.copytree(checkpoint, staged)
        atomic_write_json(staged / BEST_JSON, {**record, "checkpoint": checkpoint.name})
        replace_dir(staged, final)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return final
