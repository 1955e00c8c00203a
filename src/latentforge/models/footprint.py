"""What a model costs in memory, known before any weight is allocated.

The model is built on PyTorch's ``meta`` device: tensors there have shapes and dtypes but no
storage, so a config asking for a billion latent units is counted in milliseconds and never
touches the allocator. ``check_model_fits`` refuses a model that could not even be held in
memory (loading a saved model); training adds gradients, optimiser state and activations
(``latentforge.training.preflight``).
"""

from __future__ import annotations

import torch
from torch import nn

from latentforge.errors import LatentforgeError, OutOfMemory
from latentforge.utils.memory import available_memory, format_bytes

# Far beyond any model this library trains (the largest configs here have a few million):
# a count above this is a typo, whatever the memory of the machine.
MAX_PARAMETERS = 10_000_000_000


def meta_model(model_cls: type[nn.Module], config) -> nn.Module | None:
    """``model_cls(config)`` with shapes only (no storage), or ``None`` where a model cannot
    be built that way (the real build then shows its own error)."""
    try:
        with torch.device("meta"):
            return model_cls(config)
    except LatentforgeError:
        raise
    except Exception:  # noqa: BLE001 - an estimate, never a reason to fail by itself
        return None


def model_bytes(model: nn.Module) -> tuple[int, int, int]:
    """(parameter count, bytes of parameters, bytes of buffers) of ``model``."""
    count = sum(p.numel() for p in model.parameters())
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    return count, params, buffers


def check_parameter_count(count: int, source: str) -> None:
    if count > MAX_PARAMETERS:
        raise OutOfMemory(
            f"{source} asks for a model of {count:,} parameters, beyond any sane model "
            f"(the limit is {MAX_PARAMETERS:,}); check the sizes (latent_dim, hidden_channels)"
        )


def check_fits(needed: int, device: torch.device | str, what: str, fix: str) -> None:
    """Refuse ``needed`` bytes that are more than ``device`` has free."""
    free = available_memory(device)
    if free is not None and needed > free:
        raise OutOfMemory(
            f"{what} needs about {format_bytes(needed)}, but only {format_bytes(free)} "
            f"of {torch.device(device).type} memory is free; {fix}"
        )


def check_model_fits(model_cls: type[nn.Module], config, device, source: str) -> None:
    """Refuse, before allocating, a saved model that cannot be loaded on ``device``."""
    model = meta_model(model_cls, config)
    if model is None:
        return
    count, params, buffers = model_bytes(model)
    size = params + buffers
    check_parameter_count(count, source)
    # The weights are read into CPU memory, then the model is built: two copies at the peak.
    check_fits(
        2 * size if torch.device(device).type == "cpu" else size,
        device,
        f"the model in {source} ({count:,} parameters)",
        "load it on a machine with more memory",
    )
