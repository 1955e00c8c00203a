"""Curves of a run's logged values, drawn with matplotlib into PNG bytes; ``figure_png`` turns
any figure of the package's plots into PNG bytes (matplotlib without a display: Agg)."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series_by_prefix(
    records: list[dict[str, Any]],
) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Group logged numbers as ``{"train": {"vae/loss": [(step, value), ...]}, "val": ...}``."""
    groups: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        step = record.get("step", 0)
        for key, value in record.items():
            if "/" in key and isinstance(value, int | float):
                prefix, name = key.split("/", 1)
                groups[prefix][name].append((step, float(value)))
    return groups


def plot_series(
    title: str, series: dict[str, list[tuple[int, float]]], log_y: bool = False
) -> bytes:
    """One figure with a line per series; returns PNG bytes."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    for name, points in sorted(series.items()):
        steps, values = zip(*points)
        ax.plot(steps, values, label=name, marker="o" if len(points) < 30 else None, ms=3)
    ax.set_title(title)
    ax.set_xlabel("step")
    if log_y and all(v > 0 for pts in series.values() for _, v in pts):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return figure_png(fig)


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (tight layout); the figure is closed."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
