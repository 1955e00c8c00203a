"""Options of a training run that do not depend on the model."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from latentforge.config import Config, require

PRECISIONS = ("fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
LR_SCHEDULES = ("constant", "cosine", "linear")
OPTIMIZER_KERNELS = ("auto", "fused", "foreach", "loop")


@dataclasses.dataclass
class TrainConfig(Config):
    """Engine options. ``batch_size`` is the global batch, split over ``torchrun`` processes.

    ``compile``, ``channels_last`` and ``optimizer_kernel`` make a step cheaper without changing
    what the model learns (see ``latentforge.training.fast_path``)."""

    option_help: ClassVar[dict[str, str]] = {
        "compile": "torch.compile each phase's networks and loss (compile time logged apart)",
        "channels_last": "channels-last memory format",
        "optimizer_kernel": "auto, fused, foreach or loop: how the optimiser updates the weights",
        "grad_bucket_mb": "with several processes, average gradients in buckets of this many MB "
        "sent while backward runs (0: one all-reduce after backward)",
    }
    # what a default of None resolves to, for --help
    option_default: ClassVar[dict[str, str]] = {
        "channels_last": "on for convolutional models",
        "grad_bucket_mb": "25 on GPUs, as DistributedDataParallel; 1 on the CPU",
        "max_steps": "no limit",
    }

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"
    compile: bool = False  # torch.compile each phase's loss (the networks it trains)
    channels_last: bool | None = None  # None: on for convolutional models (measured faster)
    optimizer_kernel: str = "auto"  # auto: fused where the device supports it
    grad_bucket_mb: float | None = None  # None: 25 MB on CUDA, 1 MB elsewhere
    grad_clip: float | None = None
    ema_decay: float | None = None
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    max_steps: int | None = None
    log_every: int = 50
    checkpoint_every: int | None = None
    keep_checkpoints: int = 2
    num_workers: int = 2
    grid_size: int = 64
    progress: bool = True
    tensorboard: bool = True

    def __post_init__(self) -> None:
        require(self.epochs >= 1, f"--epochs must be >= 1, got {self.epochs}")
        require(self.batch_size >= 1, f"--batch-size must be >= 1, got {self.batch_size}")
        require(self.lr > 0, f"--lr must be positive, got {self.lr}")
        require(
            self.device in DEVICES or self.device.startswith("cuda:"),
            f"--device must be one of {', '.join(DEVICES)} (or cuda:N), got {self.device!r}",
        )
        require(
            self.precision in PRECISIONS,
            f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}",
        )
        require(
            self.optimizer_kernel in OPTIMIZER_KERNELS,
            f"--optimizer-kernel must be one of {', '.join(OPTIMIZER_KERNELS)}, "
            f"got {self.optimizer_kernel!r}",
        )
        require(
            self.grad_bucket_mb is None or self.grad_bucket_mb >= 0,
            f"--grad-bucket-mb must be >= 0 (0: no overlap), got {self.grad_bucket_mb}",
        )
        require(
            self.grad_clip is None or self.grad_clip > 0,
            f"--grad-clip must be positive, got {self.grad_clip}",
        )
        require(
            self.ema_decay is None or 0.0 < self.ema_decay < 1.0,
            f"--ema-decay must be in (0, 1), got {self.ema_decay}",
        )
        require(
            self.lr_schedule in LR_SCHEDULES,
            f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}",
        )
        require(self.warmup_steps >= 0, f"--warmup-steps must be >= 0, got {self.warmup_steps}")
        require(
            self.max_steps is None or self.max_steps >= 1,
            f"--max-steps must be >= 1, got {self.max_steps}",
        )
        require(self.log_every >= 1, f"--log-every must be >= 1, got {self.log_every}")
        require(
            self.checkpoint_every is None or self.checkpoint_every >= 1,
            f"--checkpoint-every must be >= 1, got {self.checkpoint_every}",
        )
        require(
            self.keep_checkpoints >= 1,
            f"--keep-checkpoints must be >= 1, got {self.keep_checkpoints}",
        )
        require(self.grid_size >= 1, f"--grid-size must be >= 1, got {self.grid_size}")
        require(self.num_workers >= 0, f"--num-workers must be >= 0, got {self.num_workers}")
