"""Random-number-generator states of every process, saved and restored for exact resume."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.distributed as dist

from latentforge.training.distributed import DistContext


def _local_states(device: torch.device) -> dict[str, torch.Tensor]:
    states = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def gather_states(ctx: DistContext) -> dict[str, list[torch.Tensor]]:
    """``{"cpu": [state of rank 0, rank 1, ...], "cuda": [...]}``."""
    local = _local_states(ctx.device)
    if not ctx.distributed:
        return {k: [v] for k, v in local.items()}
    gathered = {}
    for key, state in local.items():
        on_device = state.to(ctx.device) if ctx.device.type == "cuda" else state
        parts = [torch.empty_like(on_device) for _ in range(ctx.world_size)]
        dist.all_gather(parts, on_device)
        gathered[key] = [part.cpu() for part in parts]
    return gathered


def restore_states(states: dict[str, list[torch.Tensor]], ctx: DistContext) -> None:
    """Give each process back its own state (a run resumed on fewer processes reuses rank 0's)."""
    cpu = states["cpu"]
    torch.set_rng_state(cpu[ctx.rank] if ctx.rank < len(cpu) else cpu[0])
    if ctx.device.type == "cuda" and "cuda" in states:
        cuda = states["cuda"]
        torch.cuda.set_rng_state(cuda[ctx.rank] if ctx.rank < len(cuda) else cuda[0], ctx.device)


@contextlib.contextmanager
def isolated(device: torch.device) -> Iterator[None]:
    """Run a block without touching the global RNG streams that training draws from."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield
