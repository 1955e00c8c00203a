"""``report.html``: a run on one page (options, curves, image grids, warnings), with every
image embedded so that the file opens from disk in any browser, no server needed."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from latentforge.utils.files import atomic_write_text
from latentforge.utils.run_logs import read_metrics, read_warnings
from latentforge.viz.plots import plot_series, series_by_prefix

REPORT_NAME = "report.html"
EVALUATION_FILE = "evaluation.json"  # written by `latentforge evaluate`
BEST_RECORD = Path("checkpoints") / "best" / "best.json"  # written by --keep-best
EVAL_PREFIX = "eval"

REPORT_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
.grids{display:flex;flex-wrap:wrap;gap:1.5em}.grids figure{margin:0}
img.grid{image-rendering:pixelated;width:360px}img.curve{width:420px}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.5em 1em;margin:.5em 0}
"""


def png_tag(data: bytes, css_class: str = "", alt: str = "") -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'
    )


def _table(rows: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v))}</td></tr>"
        for k, v in rows.items()
    )
    return f"<table>{cells}</table>"


def _latest_grids(run_dir: Path) -> list[tuple[str, Path]]:
    grids = []
    for folder in sorted((run_dir / "images").glob("*")):
        files = sorted(folder.glob("*.png"))
        if files:
            grids.append((folder.name, files[-1]))
    return grids


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _evaluation_sections(run_dir: Path) -> list[str]:
    """The latest ``evaluation.json`` as a table, and the best checkpoint kept so far."""
    parts = []
    evaluation = _read_json(run_dir / EVALUATION_FILE)
    if isinstance(evaluation, dict) and isinstance(evaluation.get("metrics"), dict):
        info = evaluation.get("info", {})
        used = {
            key: info[key]
            for key in ("checkpoint", "dataset", "split", "num_real", "num_generated", "features")
            if key in info
        }
        parts.append("<h2>Latest evaluation</h2>" + _table(evaluation["metrics"]))
        skipped = evaluation.get("skipped") or {}
        if skipped:
            parts.append("<p>Skipped:</p>" + _table(skipped))
        parts.append("<p>Measured with:</p>" + _table(used))
    best = _read_json(run_dir / BEST_RECORD)
    if isinstance(best, dict) and "metric" in best:
        parts.append(
            "<h2>Best checkpoint</h2>"
            + _table({k: best.get(k) for k in ("metric", "mode", "value", "epoch", "checkpoint")})
        )
    return parts


def write_report(run_dir: str | Path, extra_sections: list[tuple[str, str]] | None = None) -> Path:
    """Write ``RUN/report.html`` from the run's files; returns its path."""
    run_dir = Path(run_dir)
    config = {}
    if (run_dir / "config.json").is_file():
        config = json.loads((run_dir / "config.json").read_text())
    records = read_metrics(run_dir)
    parts = [f"<h1>latentforge run: {html.escape(config.get('model_type', '?'))}</h1>"]
    parts.append(f"<p>{html.escape(str(run_dir.resolve()))}</p>")

    epochs = [r for r in records if any(k.startswith("val/") for k in r)]
    if epochs:
        last = {
            k: v for k, v in epochs[-1].items() if k.startswith("val/") or k in ("epoch", "step")
        }
        parts.append("<h2>Latest validation</h2>" + _table(last))

    warnings = read_warnings(run_dir)
    if warnings:
        parts.append("<h2>Health warnings</h2>")
        for w in warnings:
            parts.append(
                f'<div class="warn"><b>{html.escape(str(w.get("kind", "warning")))}</b> at step '
                f"{w.get('step', '?')}: {html.escape(str(w.get('message', '')))}</div>"
            )

    parts.extend(_evaluation_sections(run_dir))

    groups = series_by_prefix(records)
    evaluation_series = groups.pop(EVAL_PREFIX, {})
    if groups:
        parts.append("<h2>Curves</h2>")
        for prefix, series in sorted(groups.items()):
            parts.append(png_tag(plot_series(prefix, series), alt=f"{prefix} curves"))
    if evaluation_series:  # one plot per metric: their scales differ by orders of magnitude
        parts.append('<h2>Evaluation during training</h2><div class="grids">')
        for name, points in sorted(evaluation_series.items()):
            title = f"{EVAL_PREFIX}/{name}"
            parts.append(png_tag(plot_series(title, {name: points}), "curve", title))
        parts.append("</div>")

    grids = _latest_grids(run_dir)
    if grids:
        parts.append('<h2>Images (last epoch)</h2><div class="grids">')
        for name, path in grids:
            parts.append(
                f"<figure>{png_tag(path.read_bytes(), 'grid', name)}"
                f"<figcaption>{html.escape(name)} ({html.escape(path.name)})</figcaption></figure>"
            )
        parts.append("</div>")

    for title, body in extra_sections or []:
        parts.append(f"<h2>{html.escape(title)}</h2>{body}")

    for section in ("model", "data", "train", "evaluation"):
        if section in config:
            parts.append(f"<h2>{section.title()} options</h2>" + _table(config[section]))

    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>latentforge report</title>"
        f"<style>{REPORT_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )
    return atomic_write_text(run_dir / REPORT_NAME, page)
