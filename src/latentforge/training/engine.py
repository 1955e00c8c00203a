"""The one training engine. A model states its optimisation as phases; the engine owns
devices, precision, processes, clipping, EMA, logging, image grids, checkpoints and resume.

Adding a model never means editing this file.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from latentforge.data.base import DataBundle
from latentforge.data.batching import (
    batches_per_epoch,
    check_sampling_weights,
    iterate_batches,
    resident_on,
    to_batch,
)
from latentforge.errors import ConfigError
from latentforge.models.base import GenerativeModel
from latentforge.steps.hooks import BatchTransform, Callback
from latentforge.steps.phases import build_optimizer
from latentforge.steps.train_config import TrainConfig
from latentforge.training import rng
from latentforge.training.checkpoint import load_checkpoint_state, save_checkpoint
from latentforge.training.distributed import (
    DistContext,
    any_process,
    barrier,
    broadcast_from_main,
    broadcast_module,
    sync_batch_norm,
)
from latentforge.training.ema import EMA
from latentforge.training.fast_path import (
    batch_to_channels_last,
    kernel_arguments,
    load_optimizer_state,
    optimizer_kernel,
    to_channels_last,
    use_channels_last,
)
from latentforge.training.log_window import LogWindow
from latentforge.training.logger import RunLogger
from latentforge.training.phase_runner import PhaseRunner, freeze_all_but
from latentforge.training.precision import autocast, bf16_hint, grad_scaler
from latentforge.training.schedule import lr_factor
from latentforge.training.stopping import stop_on_signals
from latentforge.training.validation import evaluate_losses
from latentforge.viz.grid import make_grid, save_image

GRID_SEED = 1234


@dataclass
class Progress:
    """Where training stands; a checkpoint stores it and resume continues from it."""

    epoch: int = 0  # the epoch in progress (0-based)
    batch_in_epoch: int = 0  # batches of that epoch already used
    step: int = 0  # training cycles done (one cycle runs every phase once)
    images_seen: int = 0


class Trainer:
    def __init__(
        self,
        model: GenerativeModel,
        data: DataBundle,
        train: TrainConfig,
        run_dir: str | Path,
        ctx: DistContext,
        callbacks: list[Callback] | None = None,
        batch_transform: BatchTransform | None = None,
    ) -> None:
        if train.batch_size % ctx.world_size:
            raise ConfigError(
                f"--batch-size {train.batch_size} (the global batch) must be divisible by the "
                f"{ctx.world_size} processes"
            )
        autocast(train.precision, ctx.device)  # fails early for a precision the device lacks
        model = sync_batch_norm(model.to(ctx.device), ctx)
        self.channels_last = use_channels_last(train.channels_last, model, ctx.device)
        if self.channels_last:
            to_channels_last(model)
        self.model, self.cfg, self.ctx = model, train, ctx
        self.data = resident_on(data, ctx.device)
        self.run_dir = Path(run_dir)
        self.callbacks = [*(callbacks or []), *model.callbacks()]
        self.step_callbacks = [cb for cb in self.callbacks if hasattr(cb, "on_step_end")]
        self.epoch_record: dict[str, Any] = {}  # the last epoch's record, for callbacks
        self.batch_transform = batch_transform or (lambda batch: batch)
        self.monitors = model.monitors()
        broadcast_module(self.model, ctx)
        self.phases = model.training_phases(train)
        self.runners = [
            PhaseRunner(
                phase,
                build_optimizer(
                    phase.parameters,
                    phase.optimizer,
                    **kernel_arguments(
                        optimizer_kernel(train.optimizer_kernel, phase.optimizer.name)
                    ),
                ),
                grad_scaler(train.precision, ctx.device),  # one per optimiser
                train.precision,
                ctx.device,
                ctx.world_size,
                train.grad_clip,
                compile=train.compile,
                grad_bucket_mb=train.grad_bucket_mb,
            )
            for phase in self.phases
        ]
        self.all_params = list(model.parameters())
        self.ema = EMA(model.ema_module(), train.ema_decay) if train.ema_decay else None
        self.progress = Progress()
        self.stop_requested = False  # set by Ctrl-C or SIGTERM, at any moment
        self.stop_signal: signal.Signals | None = None  # the first such signal this process got
        self.interrupted = False  # set after a cycle when any process was asked to stop
        self._window = LogWindow()  # training numbers not yet logged
        self.sampling_weights = self._model_sampling_weights()
        self.logger = RunLogger(self.run_dir, train.tensorboard, enabled=ctx.is_main)
        self.batches_per_epoch = batches_per_epoch(len(data.train), train.batch_size)
        if self.batches_per_epoch == 0:
            raise ConfigError(
                f"--batch-size {train.batch_size} is larger than the {len(data.train)} training "
                "images; lower it"
            )
        data_steps = sum(p.steps_at(0) for p in self.phases if p.uses_data) or 1
        self.total_steps = train.max_steps or train.epochs * max(
            1, self.batches_per_epoch // data_steps
        )

    # --- state -------------------------------------------------------------------------
    def training_state(self) -> dict[str, Any]:
        return {
            "progress": vars(self.progress).copy(),
            "optimizers": [r.optimizer.state_dict() for r in self.runners],
            "scalers": [r.scaler.state_dict() for r in self.runners],
            "ema": self.ema.state_dict() if self.ema else None,
            "rng": rng.gather_states(self.ctx),
            "sampling_weights": self.sampling_weights,
        }

    def save(self) -> Path | None:
        """Checkpoint on the main process; the others wait. Returns the checkpoint's path."""
        state = self.training_state()  # every process joins: it gathers their RNG states
        path = None
        if self.ctx.is_main:
            inference = None
            if self.ema is not None:
                inference = self.model.state_dict()
                prefix = _module_prefix(self.model, self.model.ema_module())
                inference.update({prefix + k: v for k, v in self.ema.state_dict().items()})
            path = save_checkpoint(
                self.run_dir,
                self.model,
                self.progress.step,
                state,
                inference,
                self.cfg.keep_checkpoints,
            )
        barrier(self.ctx)
        return path

    def resume_from(self, checkpoint: Path) -> None:
        weights, state = load_checkpoint_state(checkpoint)
        self.model.load_state_dict(weights)
        for runner, opt_state in zip(self.runners, state["optimizers"]):
            load_optimizer_state(runner.optimizer, opt_state)  # in this run's kernel
        # one scaler per optimiser; checkpoints from before that hold one shared "scaler"
        scalers = state.get("scalers") or [state["scaler"]] * len(self.runners)
        for runner, scaler_state in zip(self.runners, scalers):
            runner.scaler.load_state_dict(scaler_state)
        if self.ema is not None and state.get("ema"):
            self.ema.load_state_dict(state["ema"])
        self.progress = Progress(**state["progress"])
        self.sampling_weights = state.get("sampling_weights")
        rng.restore_states(state["rng"], self.ctx)
        self.logger.truncate_after(self.progress.step)

    # --- the loop ----------------------------------------------------------------------
    def fit(self) -> Progress:
        """Train to the last epoch, or until ``max_steps``, Ctrl-C or SIGTERM stops the run
        at the end of a training cycle; a stopped run ends like an epoch does (``_end_early``)
        and ``interrupted`` tells which of the two stopped it."""
        if self.cfg.progress and self.ctx.is_main:  # beside the progress bar, on stderr
            for line in self.startup_summary():
                tqdm.write(line, file=sys.stderr)
        try:
            with stop_on_signals(self._request_stop, distributed=self.ctx.distributed):
                while self.progress.epoch < self.cfg.epochs and not self._step_limit_reached():
                    if self._train_epoch():
                        self._end_early()
                        break
                    self._end_epoch()
        finally:
            self.logger.close()
        return self.progress

    def startup_summary(self) -> list[str]:
        """What the terminal shows as training starts: what trains where, and a hint when fp32
        leaves the device's bf16 arithmetic unused."""
        cfg, p, ctx = self.cfg, self.progress, self.ctx
        processes = f" x {ctx.world_size} processes" if ctx.world_size > 1 else ""
        lines = [
            f"training {self.model.model_type} on {ctx.device}{processes} in {cfg.precision}: "
            f"step {p.step} of {self.total_steps}, batch {cfg.batch_size}"
        ]
        hint = bf16_hint(cfg.precision, ctx.device)
        return lines if hint is None else [*lines, hint]

    def _request_stop(self, signum: signal.Signals | None = None) -> None:
        self.stop_requested = True  # ``interrupted`` follows at the end of the cycle
        self.stop_signal = self.stop_signal or signum

    def _step_limit_reached(self) -> bool:
        return self.interrupted or (
            self.cfg.max_steps is not None and self.progress.step >= self.cfg.max_steps
        )

    def _train_epoch(self) -> bool:
        """Train the rest of the current epoch. True when ``max_steps`` stopped it."""
        p, cfg, ctx = self.progress, self.cfg, self.ctx
        self.model.train()
        batches = iterate_batches(
            self.data.train,
            cfg.batch_size,
            device=ctx.device,
            seed=cfg.seed,
            epoch=p.epoch,
            rank=ctx.rank,
            world_size=ctx.world_size,
            start_batch=p.batch_in_epoch,
            num_workers=cfg.num_workers,
            weights=self.sampling_weights,
        )
        bar = tqdm(
            total=self.batches_per_epoch,
            initial=p.batch_in_epoch,
            unit="batch",
            leave=False,
            desc=f"epoch {p.epoch + 1}/{cfg.epochs}",
            disable=not (cfg.progress and ctx.is_main),
        )
        window = self._window = LogWindow()
        batch = None
        try:
            while True:
                for runner in self.runners:
                    if len(self.runners) > 1:
                        freeze_all_but(runner.phase.parameters, self.all_params)
                    runner.set_lr_factor(
                        lr_factor(cfg.lr_schedule, p.step, self.total_steps, cfg.warmup_steps)
                    )
                    for _ in range(runner.phase.steps_at(p.step)):
                        if runner.phase.uses_data or batch is None:
                            waited = time.perf_counter()
                            batch = self._next_batch(batches)
                            window.data_wait += time.perf_counter() - waited
                            p.batch_in_epoch += 1
                            p.images_seen += cfg.batch_size
                            window.images += cfg.batch_size
                            bar.update(1)
                        out = runner.step(batch, p.step)
                        window.add(runner.phase.name, out)
                        window.exclude_compile(runner.take_compile_seconds())
                        window.grad_sync += runner.take_sync_seconds()
                        if runner.scaler.is_enabled():
                            window.skip(runner.phase.name, runner.take_skipped_steps())
                p.step += 1
                # under torchrun every process stops after the same cycle: when any was told to
                self.interrupted = any_process(self.stop_requested, ctx)
                if self.ema is not None:
                    self.ema.update(self.model.ema_module())
                for callback in self.step_callbacks:
                    callback.on_step_end(self)
                if p.step % cfg.log_every == 0:
                    record = window.flush(p.step, p.epoch + 1)
                    self.logger.log(record)
                    self._check_health(record)
                    bar.set_postfix(
                        {
                            k.split("/")[-1]: f"{v:.4g}"
                            for k, v in record.items()
                            if k.endswith("loss") or k == "images_per_s"
                        },
                        refresh=False,
                    )
                if cfg.checkpoint_every and p.step % cfg.checkpoint_every == 0:
                    self.save()
                if self._step_limit_reached():
                    return True
        except StopIteration:
            return False
        finally:
            bar.close()

    def _next_batch(self, batches) -> dict[str, torch.Tensor]:
        batch = self.batch_transform(next(batches))
        return batch_to_channels_last(batch) if self.channels_last else batch

    def _end_epoch(self) -> None:
        p, cfg, ctx = self.progress, self.cfg, self.ctx
        start = time.perf_counter()
        train_set = self.data.train
        self.model.after_epoch(
            lambda: iterate_batches(
                train_set,
                cfg.batch_size,
                device=ctx.device,
                shuffle=False,
                drop_last=False,
                num_workers=cfg.num_workers,
            )
        )
        self.sampling_weights = self._model_sampling_weights()
        record = self._validation_record()
        p.epoch += 1
        p.batch_in_epoch = 0
        self.epoch_record = record  # callbacks read it; their numbers are added to it
        for callback in self.callbacks:
            with rng.isolated(ctx.device):
                record.update(callback.on_epoch_end(self) or {})
        if ctx.is_main:
            self._write_grids(p.epoch)
            record["epoch_end_s"] = time.perf_counter() - start
            self.logger.log(record)
        checkpoint = self.save()
        for callback in self.callbacks:
            callback.after_checkpoint(self, checkpoint)

    def _validation_record(self) -> dict[str, Any]:
        """Where training stands and the validation numbers ``val/NAME`` (every process joins)."""
        p, cfg = self.progress, self.cfg
        record: dict[str, Any] = {
            "step": p.step,
            "epoch": p.epoch + 1,
            "images_seen": p.images_seen,
        }
        if self.data.val is not None:
            values = evaluate_losses(
                self.model,
                self.data.val,
                cfg.batch_size,
                self.ctx,
                cfg.num_workers,
                self.batch_transform,
            )
            record.update({f"val/{k}": v for k, v in values.items()})
        return record

    def _end_early(self) -> None:
        """A run stopped inside an epoch (``max_steps``, Ctrl-C, SIGTERM) ends as an epoch does: the
        training numbers since the last log line, validation numbers and the image grids of
        the epoch in progress, then a checkpoint. The epoch's own callbacks (evaluation,
        the model's ``after_epoch``) wait for the epoch to end, after a resume."""
        if self._window.counts:
            self.logger.log(self._window.flush(self.progress.step, self.progress.epoch + 1))
        with rng.isolated(self.ctx.device):  # a resumed run draws what an unbroken one draws
            record = self._validation_record()
        if self.ctx.is_main:
            self._write_grids(self.progress.epoch + 1)
            self.logger.log(record)
        self.save()

    def _model_sampling_weights(self) -> torch.Tensor | None:
        """The model's weights for drawing the next epoch (rank 0's, on every process)."""
        weights = self.model.sampling_weights()
        if weights is None:
            return None
        weights = check_sampling_weights(weights, len(self.data.train))  # float64, CPU
        return broadcast_from_main(weights, self.ctx)

    def _check_health(self, record: dict[str, Any]) -> None:
        if not self.ctx.is_main or not self.monitors:
            return
        with rng.isolated(self.ctx.device):
            for monitor in self.monitors:
                for warning in monitor.observe(record, self.progress.step):
                    self.logger.warn(warning)

    def _write_grids(self, epoch: int) -> None:
        shown = self.data.val if self.data.val is not None else self.data.train
        with rng.isolated(self.ctx.device):
            batch = self.batch_transform(
                to_batch(*shown.take(torch.arange(min(len(shown), 64))), self.ctx.device)
            )
        self.write_grids(
            lambda generator: self.model.visualize(batch, generator), f"epoch-{epoch:04d}.png"
        )

    @torch.no_grad()
    def write_grids(
        self,
        render: Callable[[torch.Generator], dict[str, torch.Tensor]],
        filename: str,
    ) -> None:
        """Save ``render(generator)``'s image batches ``{NAME: (N, C, H, W) in [0, 1]}`` as
        8-wide grids at ``RUN/images/NAME/FILENAME`` and to TensorBoard. ``render`` runs with the
        model in eval mode, a generator seeded with ``GRID_SEED``, and the training RNG streams
        untouched. Does nothing off the main process."""
        if not self.ctx.is_main:
            return
        self.model.eval()
        generator = torch.Generator(device=self.ctx.device).manual_seed(GRID_SEED)
        with rng.isolated(self.ctx.device):
            images = render(generator)
        for name, tensor in images.items():
            grid = make_grid(tensor, nrow=8)
            save_image(grid, self.run_dir / "images" / name / filename)
            self.logger.log_image(name, grid, self.progress.step)
        self.model.train()


def _module_prefix(root: torch.nn.Module, sub: torch.nn.Module) -> str:
    if sub is root:
        return ""
    for name, module in root.named_modules():
        if module is sub:
            return name + "."
    raise ValueError("ema_module() must return the model or one of its sub-modules")
