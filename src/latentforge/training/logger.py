"""Where training numbers go: ``metrics.jsonl`` (one JSON object a line) and TensorBoard."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tqdm import tqdm

from latentforge.utils.files import append_text, atomic_write_text
from latentforge.utils.run_logs import METRICS_FILE, WARNINGS_FILE, read_jsonl


class RunLogger:
    """Appends records to ``metrics.jsonl`` and mirrors scalars to TensorBoard."""

    def __init__(self, run_dir: Path, tensorboard: bool = True, enabled: bool = True) -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self.enabled = enabled
        self.writer = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional at run time
                SummaryWriter = None
            if SummaryWriter is not None:
                self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))

    def truncate_after(self, step: int) -> None:
        """On resume, drop records written after the checkpoint we resume from."""
        if not self.enabled or not self.path.is_file():
            return
        for path in (self.path, self.path.parent / WARNINGS_FILE):
            kept = [r for r in read_jsonl(path) if r.get("step", 0) <= step]
            if path.is_file():
                atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))

    def log(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        clean = {k: _jsonable(v) for k, v in record.items()}
        append_text(self.path, json.dumps(clean) + "\n")
        if self.writer is not None:
            step = int(record.get("step", 0))
            for key, value in clean.items():
                if key not in ("step", "epoch") and isinstance(value, float | int):
                    self.writer.add_scalar(key, value, step)

    def warn(self, warning) -> None:
        """Record a health warning in ``warnings.jsonl`` and print it above the progress bar."""
        if not self.enabled:
            return
        append_text(self.path.parent / WARNINGS_FILE, json.dumps(warning.to_dict()) + "\n")
        tqdm.write(f"warning [{warning.kind}] at step {warning.step}: {warning.message}")

    def log_image(self, tag: str, image, step: int) -> None:
        if self.enabled and self.writer is not None:
            self.writer.add_image(tag, image, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
