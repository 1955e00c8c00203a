"""Devices and multi-process data parallelism under ``torchrun``.

One process:                 latentforge train vae --data fashion-mnist
One node, 4 GPUs:            torchrun --nproc_per_node 4 -m latentforge train vae ...
Two nodes, 8 GPUs each:      torchrun --nnodes 2 --nproc_per_node 8 --node_rank R \
                                 --rdzv_backend c10d --rdzv_endpoint HOST:29500 \
                                 --rdzv_id latentforge-vae -m latentforge train vae ...

Processes average their gradients in buckets sent while the backward pass still runs
(``latentforge.training.gradient_sync``), so N processes with a global batch B compute the
same gradient as one process with batch B. Batch norm layers become synchronised
(``sync_batch_norm``): their batch statistics are those of the global batch. The backend is
NCCL on GPUs and gloo on CPUs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.nn.functional import all_reduce as differentiable_all_reduce

from latentforge.errors import ConfigError, StoppedWithMainProcess

T = TypeVar("T")


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


class _GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose training statistics are those of the global batch (all processes),
    for CPU processes (``nn.SyncBatchNorm`` needs a GPU). Per channel it all-reduces the
    count, sum and sum of squares, differentiably, so the backward pass sees the same
    normalisation as one process with the whole batch (Ioffe and Szegedy 2015,
    https://arxiv.org/abs/1502.03167):

        mean = sum(x) / n,   var = sum(x^2) / n - mean^2,   y = (x - mean) / sqrt(var + eps).
    """

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"batch norm needs (N, C, ...) input, got shape {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        x = x.float()  # statistics in fp32, as autocast runs batch norm
        dims = [d for d in range(x.dim()) if d != 1]
        count = torch.full((1,), x.numel() / x.shape[1], dtype=x.dtype, device=x.device)
        stats = torch.cat([count, x.sum(dims), (x * x).sum(dims)])
        stats = differentiable_all_reduce(stats)  # (1 + 2C,) summed over processes, with a backward
        n, channels = stats[0], x.shape[1]
        mean = stats[1 : 1 + channels] / n
        var = (stats[1 + channels :] / n - mean * mean).clamp_min(0.0)
        shape = [1, channels] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked
                unbiased = var.detach() * n / max(n.item() - 1, 1)
                self.running_mean.lerp_(mean.detach(), m)
                self.running_var.lerp_(unbiased, m)
        return y


def sync_batch_norm(module: nn.Module, ctx: DistContext) -> nn.Module:
    """Under several processes, make every batch norm layer use the global batch's statistics
    (``nn.SyncBatchNorm`` on GPUs, :class:`_GlobalBatchNorm` on the CPU); the layers keep
    their Parameter objects, so phases built afterwards see the same weights."""
    if not ctx.distributed:
        return module
    if ctx.device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for child in module.children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(
            child, _GlobalBatchNorm
        ):
            child.__class__ = _GlobalBatchNorm  # same state, global statistics
        else:
            sync_batch_norm(child, ctx)
    return module


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


def any_process(flag: bool, ctx: DistContext) -> bool:
    """True on every process when ``flag`` is true on any (one tiny all-reduce)."""
    if not ctx.distributed:
        return flag
    value = torch.tensor([float(flag)], device=ctx.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def on_main_process(step: Callable[[], T], ctx: DistContext) -> T | None:
    """``step()`` on the main process only, after which every process knows whether it
    failed: the main process raises its own error, the others ``StoppedWithMainProcess``
    (they would otherwise wait at their first collective for a process that has gone)."""
    error: Exception | None = None
    result = None
    if ctx.is_main:
        try:
            result = step()
        except Exception as err:  # re-raised below, after the others have heard of it
            error = err
    if any_process(error is not None, ctx):
        if error is not None:
            raise error
        raise StoppedWithMainProcess("")
    return result


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()
