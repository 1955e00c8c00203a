"""Devices and multi-process data parallelism under ``torchrun``.

One process:                 latentforge train vae --data fashion-mnist
One node, 4 GPUs:            torchrun --nproc_per_node 4 -m latentforge train vae ...
Two nodes, 8 GPUs each:      torchrun --nnodes 2 --nproc_per_node 8 --node_rank R \
                                 --rdzv_backend c10d --rdzv_endpoint HOST:29500 \
                                 -m latentforge train vae ...

Processes average their gradients after each backward pass (one flat all-reduce per
phase step, like DDP's buckets but independent of which sub-network a phase uses), so N
processes with a global batch B compute the same update as one process with batch B.
The backend is NCCL on GPUs and gloo on CPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from latentforge.errors import ConfigError


@dataclass
class DistContext:
    """Where this process runs and who its peers are."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks CUDA, then MPS, then the CPU; a named device must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                "--device cuda was asked for but no CUDA GPU is available; use --device cpu"
            )
        return torch.device(name if ":" in name else f"cuda:{local_rank}")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("--device mps was asked for but MPS is not available; use --device cpu")
    return torch.device(name)


def setup(device_name: str) -> DistContext:
    """Join the process group when launched by ``torchrun`` (WORLD_SIZE > 1)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistContext(rank, world_size, local_rank, device)


def teardown(ctx: DistContext) -> None:
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def average_gradients(params: list[nn.Parameter], world_size: int) -> None:
    """Average the gradients of ``params`` over processes with one flat all-reduce."""
    grads = [p.grad for p in params if p.grad is not None]
    if world_size == 1 or not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat.div_(world_size)
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def broadcast_module(module: nn.Module, ctx: DistContext) -> None:
    """Make every process start from rank 0's weights and buffers."""
    if not ctx.distributed:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        dist.broadcast(tensor.data, src=0)


def broadcast_from_main(tensor: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Rank 0's ``tensor`` on every process (moved to the device the backend needs and back)."""
    if not ctx.distributed:
        return tensor
    on_device = tensor.to(ctx.device).contiguous()
    dist.broadcast(on_device, src=0)
    return on_device.to(tensor.device)


def sum_over_processes(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Element-wise sum over processes (moved to the device the backend needs and back)."""
    if not ctx.distributed:
        return values
    on_device = values.to(ctx.device)
    dist.all_reduce(on_device)
    return on_device.to(values.device)


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()
