"""The fast path: options that make a training step cheaper without changing what a model
learns (the same function is computed; only the order of floating-point sums may differ).

- ``channels_last``: convolutional weights and image batches in NHWC memory order, which
  oneDNN (CPU) and cuDNN (GPU) convolve faster than NCHW.
- ``optimizer_kernel``: ``fused`` updates all of a phase's weights in one kernel per
  optimiser step, ``foreach`` in a few multi-tensor ops, ``loop`` one parameter at a time
  (PyTorch's CPU default).
- ``compile``: ``torch.compile`` of each phase's loss function, i.e. the forward pass of the
  networks it trains and the loss, fused into generated kernels; backward is compiled with it.
  The first call compiles (its time is reported apart); when compilation fails the phase runs
  eagerly with one warning.

The defaults come from ``benchmarks/fast_path.py`` (see docs/benchmarks.md).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import torch
from torch import nn

from latentforge.steps.phases import Batch, LossOutput

CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)
# Optimisers with a fused kernel in PyTorch; the others use foreach.
FUSED_OPTIMIZERS = ("adam", "adamw", "sgd")
# The keys of a torch.optim param group that choose the kernel, not the update.
KERNEL_KEYS = ("fused", "foreach")


def has_convolutions(model: nn.Module) -> bool:
    return any(isinstance(m, CONVOLUTIONS) for m in model.modules())


def use_channels_last(option: bool | None, model: nn.Module, device: torch.device) -> bool:
    """``option`` when given; by default on for convolutional models on the CPU and CUDA."""
    if option is not None:
        return option
    return device.type in ("cpu", "cuda") and has_convolutions(model)


def to_channels_last(model: nn.Module) -> nn.Module:
    """Convert the model's 4-D weights in place (the Parameter objects stay the same)."""
    return model.to(memory_format=torch.channels_last)


def batch_to_channels_last(batch: Batch) -> Batch:
    """Image tensors ``(N, C, H, W)`` of a batch in channels-last order (same values)."""
    return {
        key: value.contiguous(memory_format=torch.channels_last)
        if value.dim() == 4 and value.is_floating_point()
        else value
        for key, value in batch.items()
    }


def optimizer_kernel(option: str, optimizer_name: str) -> str:
    """The kernel ``option`` asks for; ``auto`` is fused where the optimiser has one
    (measured fastest on the CPU and the usual choice on GPUs), foreach otherwise."""
    if option == "auto":
        return "fused" if optimizer_name in FUSED_OPTIMIZERS else "foreach"
    if option == "fused" and optimizer_name not in FUSED_OPTIMIZERS:
        return "foreach"  # PyTorch has no fused kernel for it; foreach is the next best
    return option


def kernel_arguments(kernel: str) -> dict[str, bool]:
    """Keyword arguments of a ``torch.optim`` constructor for ``kernel``."""
    return {"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}[
        kernel
    ]


class CompiledLoss:
    """``loss(batch)`` through ``torch.compile``; eager again if compilation fails.

    ``compile_seconds`` holds the time of the calls that compiled (the first, and any
    recompilation reported by a slow call is not separated: only the first is timed)."""

    def __init__(self, loss: Callable[[Batch], LossOutput], name: str) -> None:
        self.eager = loss
        self.compiled = torch.compile(loss)
        self.name = name
        self.compile_seconds: float | None = None
        self.failed = False

    def __call__(self, batch: Batch) -> LossOutput:
        if self.failed:
            return self.eager(batch)
        if self.compile_seconds is not None:
            return self.compiled(batch)
        start = time.perf_counter()
        try:
            out = self.compiled(batch)
        except Exception as err:  # compilation itself failed: fall back, say so once
            self.failed = True
            warnings.warn(
                f"--compile: compiling the {self.name} phase failed ({type(err).__name__}: "
                f"{str(err).strip().splitlines()[0] if str(err).strip() else ''}); it runs "
                "without compilation. Drop --compile to silence this.",
                stacklevel=2,
            )
            return self.eager(batch)
        self.compile_seconds = time.perf_counter() - start
        return out


@torch.no_grad()
def match_parameter_layout(optimizer: torch.optim.Optimizer) -> None:
    """Give the optimiser's per-parameter state tensors (Adam's moments, ...) their parameter's
    memory layout. A checkpoint stores them contiguous; a fused kernel walks a parameter and
    its state in memory order, so a channels-last weight with a contiguous moment would be
    updated with the wrong moment entries."""
    for param, state in optimizer.state.items():
        for key, value in state.items():
            if torch.is_tensor(value) and value.shape == param.shape and value.dim() == 4:
                state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


@torch.no_grad()
def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Load a checkpoint's optimiser ``state`` into ``optimizer`` and keep its own kernel, so
    a fused optimiser's checkpoint resumes with foreach or loop and back. PyTorch would take the
    kernel flags from the saved param groups; they are put back, each ``step`` counter goes where
    this kernel keeps it (fused: a float32 tensor on the parameter's device; else the CPU) and
    each state tensor gets its parameter's memory layout."""
    kernels = [{k: group[k] for k in KERNEL_KEYS if k in group} for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, kernel in zip(optimizer.param_groups, kernels):
        group.update(kernel)
        on_device = bool(group.get("fused") or group.get("capturable"))
        for param in group["params"]:
            param_state = optimizer.state.get(param, {})
            step = param_state.get("step")
            if torch.is_tensor(step):
                where = param.device if on_device else torch.device("cpu")
                dtype = torch.float32 if on_device else step.dtype
                param_state["step"] = step.to(device=where, dtype=dtype)
    match_parameter_layout(optimizer)
