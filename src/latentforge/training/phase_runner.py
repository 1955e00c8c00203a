"""One optimiser step of one phase: forward under autocast, finite check, backward,
gradient averaging across processes, clipping, step. Each phase has its own optimiser and
its own gradient scaler, so an fp16 overflow in one network (a GAN's discriminator) lowers
only that network's loss scale."""

from __future__ import annotations

import time

import torch
from torch import Tensor, nn

from latentforge.errors import TrainingDiverged
from latentforge.steps.phases import Batch, LossOutput, Phase
from latentforge.training.fast_path import CompiledLoss
from latentforge.training.gradient_sync import GradientAverager, resolve_bucket_mb
from latentforge.training.precision import autocast


class PhaseRunner:
    """Owns a phase's optimiser and runs its steps."""

    def __init__(
        self,
        phase: Phase,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        precision: str,
        device: torch.device,
        world_size: int,
        grad_clip: float | None,
        compile: bool = False,
        grad_bucket_mb: float | None = None,
    ) -> None:
        self.phase = phase
        self.optimizer = optimizer
        self.scaler = scaler
        self.precision = precision
        self.device = device
        self.world_size = world_size
        self.grad_clip = grad_clip
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.compiled = CompiledLoss(phase.loss, phase.name) if compile else None
        # gradients averaged over processes in buckets sent while backward runs
        bucket_mb = resolve_bucket_mb(grad_bucket_mb, device)
        self.averager = (
            GradientAverager(phase.parameters, world_size, bucket_mb) if world_size > 1 else None
        )
        self.sync_seconds = 0.0  # time spent waiting for the averaged gradients
        self.skipped_steps = 0  # fp16 steps the scaler skipped (their gradients overflowed)

    def take_sync_seconds(self) -> float:
        """Seconds spent averaging gradients since the last call."""
        seconds, self.sync_seconds = self.sync_seconds, 0.0
        return seconds

    def take_skipped_steps(self) -> int:
        """Steps the gradient scaler skipped since the last call."""
        skipped, self.skipped_steps = self.skipped_steps, 0
        return skipped

    def take_compile_seconds(self) -> float:
        """Seconds spent compiling since the last call (0 when nothing compiled)."""
        if self.compiled is None or self.compiled.compile_seconds is None:
            return 0.0
        seconds, self.compiled.compile_seconds = self.compiled.compile_seconds, 0.0
        return seconds

    def set_lr_factor(self, factor: float) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor

    def step(self, batch: Batch, step: int) -> LossOutput:
        phase = self.phase
        loss = self.compiled if self.compiled is not None else phase.loss
        with autocast(self.precision, self.device):
            out = loss(batch)
        if not torch.isfinite(out.loss.detach()).item():
            raise TrainingDiverged(
                f"the {phase.name} loss became {out.loss.item()} at step {step}; training "
                "stopped and the last checkpoint is intact. Try a lower --lr, --grad-clip 1.0 "
                "or --precision fp32"
            )
        self.optimizer.zero_grad(set_to_none=True)
        if self.averager is not None:
            self.averager.begin()
        self.scaler.scale(out.loss).backward()
        if self.averager is not None:
            start = time.perf_counter()
            self.averager.finish()
            self.sync_seconds += time.perf_counter() - start
        scale = self.scaler.get_scale() if self.scaler.is_enabled() else None
        if phase.log_grad_norm:
            out.logs["grad_norm"] = gradient_norm(phase.parameters, self.scaler)
        if self.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(phase.parameters, self.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if scale is not None and self.scaler.get_scale() < scale:
            # fp16 gradients overflowed: the scaler skipped the step and lowered its scale, as
            # it should; the overflowed gradient norm (inf/NaN) is no training number
            self.skipped_steps += 1
            out.logs.pop("grad_norm", None)
        if phase.after_step is not None:
            phase.after_step()
        return out


def freeze_all_but(parameters: list[nn.Parameter], everything: list[nn.Parameter]) -> None:
    """Let gradients flow only into ``parameters`` (the other phases' weights are frozen)."""
    active = {id(p) for p in parameters}
    for p in everything:
        p.requires_grad_(id(p) in active)


@torch.no_grad()
def gradient_norm(parameters: list[nn.Parameter], scaler: torch.amp.GradScaler) -> Tensor:
    """The L2 norm of all gradients of ``parameters`` together (loss scaling undone)."""
    grads = [p.grad.detach().float().norm() for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norm = torch.stack(grads).norm()
    return norm / scaler.get_scale() if scaler.is_enabled() else norm
