"""Opt-in mixed precision: bf16 (CPU or GPU) or fp16 with loss scaling (GPU)."""

from __future__ import annotations

import contextlib

import torch

from latentforge.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
# Devices offered fp16. PyTorch also runs fp16 autocast on the CPU, but slower than bf16 there.
FP16_DEVICES = ("cuda",)


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """A context that runs the forward pass in ``precision`` (``fp32``: does nothing)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "fp16" and device.type not in FP16_DEVICES:
        raise ConfigError("--precision fp16 needs a CUDA GPU; on the CPU use --precision bf16")
    return torch.autocast(device_type=device.type, dtype=_DTYPES[precision])


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """Dynamic loss scaling for fp16 (Micikevicius et al. 2018,
    https://arxiv.org/abs/1710.03740); a disabled scaler (a pass-through) otherwise. The engine
    makes one per optimiser, so an overflow in one network halves only its own scale."""
    enabled = precision == "fp16" and device.type in FP16_DEVICES
    return torch.amp.GradScaler(device.type if enabled else "cpu", enabled=enabled)
