"""The run panel: curves from ``metrics.jsonl``, the health warnings and the run's options.

Read on every request, never locked: a run that is still training keeps appending (a torn
last line is skipped by ``read_jsonl``), and the page polls to follow it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from latentforge.training.run import RUN_CONFIG
from latentforge.utils.files import read_json
from latentforge.utils.run_logs import read_metrics, read_warnings

MAX_POINTS = 400
SKIPPED_KEYS = ("step", "epoch", "time", "wall_time")


def curves(records: list[dict[str, Any]], max_points: int = MAX_POINTS) -> dict[str, list]:
    """``{name: [[step, value], ...]}`` for every numeric quantity, each thinned to at most
    ``max_points`` points (every k-th, always keeping the last)."""
    series: dict[str, list[list[float]]] = {}
    for record in records:
        step = record.get("step")
        if not isinstance(step, int | float):
            continue
        for name, value in record.items():
            if name in SKIPPED_KEYS or isinstance(value, bool):
                continue
            if isinstance(value, int | float) and math.isfinite(value):
                series.setdefault(name, []).append([step, value])
    for name, points in series.items():
        stride = max(1, math.ceil(len(points) / max_points))
        thinned = points[::stride]
        if thinned[-1] is not points[-1]:
            thinned.append(points[-1])
        series[name] = thinned
    return series


def run_panel(run_dir: Path, checkpoint: str) -> dict[str, Any]:
    """Curves, warnings, options and the checkpoint being shown."""
    config_path = run_dir / RUN_CONFIG
    config = read_json(config_path, "run config") if config_path.is_file() else None
    records = read_metrics(run_dir)
    return {
        "checkpoint": checkpoint,
        "step": records[-1].get("step") if records else None,
        "curves": curves(records),
        "warnings": read_warnings(run_dir)[-50:],
        "config": config,
    }
