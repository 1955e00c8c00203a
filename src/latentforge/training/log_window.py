"""What the engine logs between two log lines: per-phase means of the logged values, images
per second (compilation time left out), the shares of time spent waiting for data and for
averaged gradients, and the fp16 steps the gradient scaler skipped."""

from __future__ import annotations

import time
from typing import Any


class LogWindow:
    """Sums of logged values between two log lines."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.images = 0
        self.data_wait = 0.0  # seconds spent waiting for batches
        self.compile_s = 0.0  # seconds spent compiling (left out of the rates)
        self.grad_sync = 0.0  # seconds spent averaging gradients across processes
        self.skipped: dict[str, int] = {}  # fp16 steps the scaler skipped, by phase
        self.start = time.perf_counter()

    def exclude_compile(self, seconds: float) -> None:
        self.compile_s += seconds

    def skip(self, phase: str, steps: int) -> None:
        self.skipped[phase] = self.skipped.get(phase, 0) + steps

    def add(self, phase: str, out) -> None:
        values = {"loss": out.loss.detach(), **out.logs}
        for key, value in values.items():
            name = f"{phase}/{key}"
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
            self.counts[name] = self.counts.get(name, 0) + 1

    def flush(self, step: int, epoch: int) -> dict[str, Any]:
        """The record of the window ending at ``step`` of ``epoch`` (1-based); starts anew."""
        elapsed = max(time.perf_counter() - self.start - self.compile_s, 1e-9)
        record: dict[str, Any] = {"step": step, "epoch": epoch}
        record.update({f"train/{k}": self.sums[k] / self.counts[k] for k in self.sums})
        # a count, not a mean: steps whose fp16 gradients overflowed, skipped by the scaler
        record.update({f"train/{k}/skipped_steps": n for k, n in self.skipped.items()})
        record["images_per_s"] = self.images / elapsed
        record["data_wait_share"] = self.data_wait / elapsed
        if self.grad_sync:
            record["grad_sync_share"] = self.grad_sync / elapsed
        if self.compile_s:
            record["compile_s"] = self.compile_s
        self.reset()
        return record
