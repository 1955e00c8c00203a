"""The outcome of an evaluation: numbers, skipped metrics with the reason, and what was used."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentforge.utils.files import atomic_write_json
from latentforge.viz.report import EVALUATION_FILE

__all__ = ["EVALUATION_FILE", "EvaluationResult", "jsonable"]


def jsonable(value: Any) -> Any:
    """JSON has no infinity or NaN: such floats are written as the strings "inf", "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _format(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and value > 1):
        return f"{value:.0f}"
    return f"{value:.4g}"


@dataclass
class EvaluationResult:
    metrics: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per metric (and per stage)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "metrics": self.metrics,
                "skipped": self.skipped,
                "info": self.info,
                "seconds": self.seconds,
            }
        )

    def write_json(self, path: str | Path) -> Path:
        return atomic_write_json(path, self.to_dict())

    def table(self) -> str:
        """A plain-text table: one metric per line, then the skipped ones and the notes."""
        width = max([len(k) for k in self.metrics] + [6])
        lines = [f"{'metric':<{width}}  value"]
        lines += [f"{name:<{width}}  {_format(value)}" for name, value in self.metrics.items()]
        for name, reason in self.skipped.items():
            lines.append(f"{name:<{width}}  skipped: {reason}")
        for note in self.info.get("notes", []):
            lines.append(f"note: {note}")
        return "\n".join(lines)
