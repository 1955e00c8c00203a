"""Averaging a phase's gradients over processes, overlapped with its backward pass.

Backward produces gradients from the last layer to the first. :class:`GradientAverager` cuts the
phase's parameters into buckets of about ``bucket_mb`` megabytes in that order (the reverse of
the order the model registers them, as ``DistributedDataParallel`` does, Li et al. 2020,
https://arxiv.org/abs/2006.15704). A hook on each parameter counts gradients as autograd
accumulates them; as soon as every parameter of the next bucket in line has its gradient, the
bucket is flattened and all-reduced asynchronously while backward goes on with the earlier
layers. ``finish`` sends what is left, waits, and writes the averages back.

Two rules keep processes from waiting on each other for ever:
- buckets are sent strictly in order on every process, so the i-th collective of one process
  meets the i-th of every other, even when their graphs differ;
- a parameter that got no gradient on a process (a branch its images did not take) is sent as
  zeros with a zero flag; it ends with a gradient when any process gave it one (as one process
  with the whole batch would) and keeps ``grad=None`` when none did (the optimiser skips it).

``bucket_mb=0`` sends one bucket after backward: the flat all-reduce, with no overlap.
"""

from __future__ import annotations

import functools

import torch
import torch.distributed as dist
from torch import nn

# Bucket sizes when none is given: DistributedDataParallel's 25 MB for NCCL on GPUs (not
# measured here); 1 MB for gloo on the CPU, which costs nothing measurable and still gives a
# model of a few MB several buckets (benchmarks/grad_overlap.py).
GPU_BUCKET_MB = 25.0
CPU_BUCKET_MB = 1.0


def resolve_bucket_mb(option: float | None, device: torch.device) -> float:
    """``option`` when given, else the default for ``device``."""
    if option is not None:
        return option
    return GPU_BUCKET_MB if device.type == "cuda" else CPU_BUCKET_MB


def _buckets(params: list[nn.Parameter], bucket_mb: float) -> list[list[nn.Parameter]]:
    """``params`` in reverse order, cut into runs of at most ``bucket_mb`` MB (at least one
    parameter each) that share a dtype and device."""
    limit = bucket_mb * 2**20
    buckets: list[list[nn.Parameter]] = []
    size = 0.0
    for p in reversed(params):
        nbytes = p.numel() * p.element_size()
        current = buckets[-1] if buckets else None
        if (
            current is None
            or (limit > 0 and size + nbytes > limit)
            or (p.dtype, p.device) != (current[0].dtype, current[0].device)
        ):
            buckets.append([p])
            size = nbytes
        else:
            current.append(p)
            size += nbytes
    return buckets


class GradientAverager:
    """Averages the gradients of ``params`` over ``world_size`` processes. Call :meth:`begin`
    before the backward pass and :meth:`finish` after it."""

    def __init__(
        self,
        params: list[nn.Parameter],
        world_size: int,
        bucket_mb: float = 0.0,
        overlap: bool = True,
    ) -> None:
        unique = list({id(p): p for p in params}.values())
        self.world_size = world_size
        self.buckets = _buckets(unique, bucket_mb)
        self._pending: list[int] = []  # per bucket: gradients still to come this backward
        self._seen: set[int] = set()
        self._sent: list[tuple[torch.Tensor, dist.Work]] = []
        self._armed = False
        self._hooks = []
        if overlap and bucket_mb > 0:
            for index, bucket in enumerate(self.buckets):
                for p in bucket:
                    hook = functools.partial(self._on_gradient, index)
                    self._hooks.append(p.register_post_accumulate_grad_hook(hook))

    @property
    def buckets_sent(self) -> int:
        """How many buckets of the current backward pass are on their way."""
        return len(self._sent)

    def begin(self) -> None:
        """Arm the hooks for one backward pass."""
        self._pending = [len(bucket) for bucket in self.buckets]
        self._seen.clear()
        self._sent.clear()
        self._armed = True

    def _on_gradient(self, index: int, param: nn.Parameter) -> None:
        if not self._armed or id(param) in self._seen:
            return
        self._seen.add(id(param))
        self._pending[index] -= 1
        while len(self._sent) < len(self.buckets) and self._pending[len(self._sent)] == 0:
            self._send(len(self._sent))

    def _send(self, index: int) -> None:
        bucket = self.buckets[index]
        values = [
            p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel()) for p in bucket
        ]
        flags = bucket[0].new_tensor([float(p.grad is not None) for p in bucket])
        flat = torch.cat([*[v.to(flags.dtype) for v in values], flags])
        self._sent.append((flat, dist.all_reduce(flat, async_op=True)))

    def finish(self) -> None:
        """Send the buckets not sent yet (in order), wait for all, write the averages back."""
        self._armed = False
        while len(self._sent) < len(self.buckets):
            self._send(len(self._sent))
        for bucket, (flat, work) in zip(self.buckets, self._sent):
            work.wait()
            count = len(bucket)
            flat[:-count].div_(self.world_size)
            offset = 0
            for p, has_grad in zip(bucket, flat[-count:].tolist()):
                values = flat[offset : offset + p.numel()]
                offset += p.numel()
                if not has_grad:
                    continue
                if p.grad is None:
                    p.grad = torch.empty_like(p)
                p.grad.copy_(values.view(p.shape).to(p.grad.dtype))
        self._sent.clear()

    def close(self) -> None:
        """Remove the hooks (the parameters stop calling this averager)."""
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()


def average_gradients(params: list[nn.Parameter], world_size: int) -> None:
    """Average the gradients of ``params`` over processes now, with one flat all-reduce."""
    if world_size == 1 or not params:
        return
    averager = GradientAverager(params, world_size, bucket_mb=0.0, overlap=False)
    averager.begin()
    averager.finish()
