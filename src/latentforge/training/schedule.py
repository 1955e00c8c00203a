"""Learning-rate schedules as a factor of the base rate at each training step."""

from __future__ import annotations

import math


def lr_factor(schedule: str, step: int, total_steps: int, warmup_steps: int = 0) -> float:
    """Linear warm-up over ``warmup_steps``, then ``constant`` (1), ``cosine`` (1 -> 0,
    Loshchilov & Hutter 2017) or ``linear`` (1 -> 0) decay over the remaining steps."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, max(0.0, (step - warmup_steps) / span))
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0 - progress
