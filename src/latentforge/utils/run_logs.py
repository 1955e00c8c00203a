"""A run's JSON-lines logs, read back: ``metrics.jsonl`` and ``warnings.jsonl``.

The training engine's logger appends to them; the report, ``latentforge info`` and the
benchmarks read them here, without importing the engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
WARNINGS_FILE = "warnings.jsonl"


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """All records of a run's ``metrics.jsonl`` (a torn last line is skipped)."""
    return read_jsonl(Path(run_dir) / METRICS_FILE)


def read_warnings(run_dir: str | Path) -> list[dict[str, Any]]:
    """All health warnings of a run."""
    return read_jsonl(Path(run_dir) / WARNINGS_FILE)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
