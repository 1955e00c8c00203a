"""Start, or resume, a training run in a run directory.

RUN/config.json      the resolved options: model type and config, data, training
RUN/metrics.jsonl    one JSON record per log interval and per epoch
RUN/tensorboard/     TensorBoard events
RUN/images/NAME/     a grid per epoch (samples, reconstructions, ...)
RUN/checkpoints/     see ``latentforge.training.checkpoint``
RUN/report.html      everything above on one page, readable from disk
"""

from __future__ import annotations

import dataclasses
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latentforge import __version__
from latentforge.config import Config, require
from latentforge.data import load_data
from latentforge.data.class_filter import check_classes, keep_classes
from latentforge.data.corruption import CorruptInputs, corruption_transform
from latentforge.errors import CheckpointError, ConfigError, TrainingInterrupted
from latentforge.models.base import MODELS, GenerativeModel, ModelConfig
from latentforge.steps.hooks import Callback
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import CHECKPOINTS, LATEST, latest_checkpoint
from latentforge.training.distributed import DistContext, on_main_process, setup, teardown
from latentforge.training.engine import Trainer
from latentforge.training.eval_options import TrainingEvalConfig
from latentforge.training.preflight import check_training_fits
from latentforge.training.run_dir import (
    RUN_CONFIG,
    clear_run_files,
    is_run,
    open_for_writing,
)
from latentforge.training.stopping import EXIT_STATUS, SAID_AS
from latentforge.utils.environment import environment, record_start
from latentforge.utils.files import atomic_write_json, read_json
from latentforge.utils.seeding import seed_everything
from latentforge.viz.report import write_report

# Keys of a run config: the run's options, and what training records beside them.
RECORDED_KEYS = frozenset({"latentforge_version", "environment", "resumed_environments"})
RUN_KEYS = frozenset({"model_type", "model", "data", "train", "evaluation"}) | RECORDED_KEYS
# Options a resumed run may change: when it stops, where and how fast it runs, what it shows
# and keeps; none changes what the model learns. The others come from the run's config.json,
# and a resume that gives one a different value is refused.
RESUME_OVERRIDES = (
    *("epochs", "max_steps"),
    *("device", "num_workers", "compile", "channels_last", "optimizer_kernel", "grad_bucket_mb"),
    *("progress", "tensorboard", "log_every", "checkpoint_every", "keep_checkpoints", "grid_size"),
)


@dataclasses.dataclass
class DataConfig(Config):
    spec: str = "sample"
    data_dir: str | None = None
    image_size: tuple[int, int] | None = None
    channels: int | None = None
    val_fraction: float = 0.1
    download: bool = True
    classes: tuple[int, ...] | None = None  # keep only these labels in train and val
    noise: str | None = None  # corrupt the inputs (denoising): gaussian:0.3, mask:0.25, ...

    def __post_init__(self) -> None:
        require(
            0.0 <= self.val_fraction < 1.0,
            f"--val-fraction must be in [0, 1), got {self.val_fraction}",
        )
        if self.classes is not None:
            self.classes = check_classes(self.classes)
        self.batch_transform()  # a bad --noise spec fails here, before any data is read

    def batch_transform(self) -> CorruptInputs | None:
        """The corruption of the inputs that ``noise`` names, or ``None``."""
        return corruption_transform(self.noise)

    def load(self, seed: int):
        bundle = load_data(
            self.spec,
            data_dir=self.data_dir,
            image_size=self.image_size,
            channels=self.channels,
            download=self.download,
            val_fraction=self.val_fraction,
            seed=seed,
        )
        return bundle if self.classes is None else keep_classes(bundle, self.classes)


@dataclasses.dataclass
class RunConfig:
    model_type: str
    model: dict[str, Any]
    data: DataConfig
    train: TrainConfig
    evaluation: TrainingEvalConfig = dataclasses.field(default_factory=TrainingEvalConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "latentforge_version": __version__,
            "model_type": self.model_type,
            "model": self.model,
            "data": self.data.to_dict(),
            "train": self.train.to_dict(),
            "evaluation": self.evaluation.to_dict(),
        }

    @classmethod
    def read(cls, run_dir: Path) -> RunConfig:
        path = run_dir / RUN_CONFIG
        values = read_json(path, "run config")
        if not isinstance(values, dict) or not {"model_type", "model", "data", "train"} <= set(
            values
        ):
            raise CheckpointError(f"{path} is not a latentforge run config")
        try:
            return cls.from_dict(values, str(path))
        except ConfigError as err:
            raise CheckpointError(str(err)) from None

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str) -> RunConfig:
        """The run ``values`` describe (the form ``to_dict`` writes; sections may be left out,
        ``model_type`` may not). Unknown keys, in any section, are a ``ConfigError``."""
        if not isinstance(values, dict):
            raise ConfigError(f"{source} must hold a table of options")
        unknown = sorted(set(values) - RUN_KEYS)
        if unknown:
            raise ConfigError(
                f"{source} has unknown keys {unknown}; known: {sorted(RUN_KEYS - RECORDED_KEYS)}"
            )
        if "model_type" not in values:
            raise ConfigError(f'{source} names no model_type (e.g. model_type = "vae")')
        model_cls = MODELS.get(values["model_type"])
        model = values.get("model", {})
        if not isinstance(model, dict):
            raise ConfigError(f"{source} [model] must be a table of options")
        known = {f.name for f in dataclasses.fields(model_cls.config_class) if f.init}
        unknown = sorted(set(model) - known)
        if unknown:
            raise ConfigError(
                f"{source} [model] has unknown keys {unknown} for {values['model_type']}; "
                f"known: {sorted(known)}"
            )
        return cls(
            values["model_type"],
            dict(model),
            DataConfig.from_dict(values.get("data", {}), f"{source} [data]"),
            TrainConfig.from_dict(values.get("train", {}), f"{source} [train]"),
            TrainingEvalConfig.from_dict(values.get("evaluation", {}), f"{source} [evaluation]"),
        )


def config_for_data(model_type: str, options: dict[str, Any], data) -> tuple[type, ModelConfig]:
    """The model class of ``model_type`` and its config for images of the data's shape."""
    model_cls = MODELS.get(model_type)
    values = {**options, **model_cls.config_class.values_from_data(data)}
    if data.num_classes is not None and "num_classes" in {
        f.name for f in dataclasses.fields(model_cls.config_class)
    }:
        values.setdefault("num_classes", data.num_classes)
    return model_cls, model_cls.config_class.from_dict(values, source="model options")


def build_for_data(model_type: str, options: dict[str, Any], data) -> GenerativeModel:
    """A model of ``model_type`` for images of the data's shape."""
    model_cls, config = config_for_data(model_type, options, data)
    return model_cls(config)


def resumed_config(run_dir: Path, overrides: dict[str, Any] | None) -> RunConfig:
    """The saved config of the run in ``run_dir`` with the options a resume may change
    (``RESUME_OVERRIDES``); another option given a different value is a ``ConfigError``."""
    if not run_dir.is_dir():
        raise CheckpointError(f"run directory {run_dir} does not exist; check the path")
    if not (run_dir / RUN_CONFIG).is_file() and not is_run(run_dir):
        raise CheckpointError(
            f"{run_dir} holds no run to resume; "
            f"start one with latentforge train ... --out {run_dir}"
        )
    saved = RunConfig.read(run_dir)
    overrides = overrides or {}
    refused = sorted(
        name
        for name, value in overrides.items()
        if name not in RESUME_OVERRIDES and getattr(saved.train, name, value) != value
    )
    if refused:
        name = refused[0]
        flag = "--" + name.replace("_", "-")
        raise ConfigError(
            f"{flag} cannot change on --resume: the run in {run_dir} trains with "
            f"{getattr(saved.train, name)!r}, and {flag} {overrides[name]!r} would change what "
            "it learns; start a new run with --config "
            f"{run_dir / RUN_CONFIG} {flag} ... --out NEW (--resume may change "
            f"{', '.join('--' + n.replace('_', '-') for n in RESUME_OVERRIDES)})"
        )
    # --max-steps is an instruction to stop, not part of the run: it does not carry over.
    changes = {"max_steps": None}
    changes.update({k: v for k, v in overrides.items() if k in RESUME_OVERRIDES})
    return dataclasses.replace(saved, train=saved.train.replace(**changes))


def checkpoint_to_resume(run_dir: Path, is_main: bool) -> Path | None:
    """The newest complete checkpoint, or ``None`` (said in one line) to start from step 0."""
    try:
        return latest_checkpoint(run_dir)
    except CheckpointError:
        if any((run_dir / CHECKPOINTS).glob("step-*")) or (run_dir / CHECKPOINTS / LATEST).exists():
            raise  # checkpoints are there but unusable: say so rather than start over
    if is_main:
        clear_run_files(run_dir, keep_config=True)
        print(
            f"latentforge: {run_dir} has no complete checkpoint; starting again from step 0 "
            "with its saved config",
            file=sys.stderr,
        )
    return None


# Makes the callbacks a run asks for beyond the engine's own: (run, model, data, run_dir, ctx).
CallbackFactory = Callable[[RunConfig, GenerativeModel, Any, Path, DistContext], list[Callback]]


def train(
    run: RunConfig | None,
    run_dir: str | Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: dict[str, Any] | None = None,
    callbacks: CallbackFactory | None = None,
) -> Path:
    """Train a new run (``run`` given) or resume the one in ``run_dir``; return ``run_dir``.

    ``callbacks`` builds the run's extra callbacks once the model and data exist: evaluation
    during training passes its own (``latentforge.evaluation.train_with_evaluation``).

    The main process holds the run directory's lock from before the first write to the end.
    """
    run_dir = Path(run_dir)
    if resume:
        run = resumed_config(run_dir, overrides)
    elif run is None:
        raise ConfigError("nothing to train: give a model and options, or --resume RUN")
    if callbacks is None and run.evaluation.enabled:
        raise ConfigError(
            "--eval-every and --keep-best need the evaluation callbacks: train with "
            "latentforge.evaluation.train_with_evaluation"
        )
    ctx: DistContext = setup(run.train.device)
    lock = None
    try:
        # checks --out, then locks it: only the main process writes the run
        lock = on_main_process(
            lambda: open_for_writing(run_dir, new=not resume, overwrite=overwrite), ctx
        )
        start = checkpoint_to_resume(run_dir, ctx.is_main) if resume else None
        seed_everything(run.train.seed)
        data = run.data.load(run.train.seed)
        model_cls, model_config = config_for_data(run.model_type, run.model, data)
        check_training_fits(model_cls, model_config, data, run.train, ctx)
        model = model_cls(model_config)
        extra = callbacks(run, model, data, run_dir, ctx) if callbacks is not None else []

        def write_config() -> None:  # the folder becomes a run: nothing is written before this
            # what this start of the run trained with: a resume keeps the first start's
            saved = read_json(run_dir / RUN_CONFIG, "run config") if resume else None
            step = int(start.name.removeprefix("step-")) if start is not None else 0
            started = record_start(saved, environment(ctx.device), step)
            atomic_write_json(run_dir / RUN_CONFIG, {**run.to_dict(), **started})

        on_main_process(write_config, ctx)
        seed_everything(run.train.seed + 7919 * ctx.rank)
        trainer = Trainer(
            model,
            data,
            run.train,
            run_dir,
            ctx,
            callbacks=[*extra, ReportRefresh()],
            batch_transform=run.data.batch_transform(),
        )
        if start is not None:
            trainer.resume_from(start)
        trainer.fit()
        if ctx.is_main:
            write_report(run_dir)
        if trainer.interrupted:
            raise stopped_by_signal(trainer.stop_signal, trainer.progress.step, run_dir, ctx)
    finally:
        teardown(ctx)
        if lock is not None:
            lock.release()
    return run_dir


def stopped_by_signal(
    signum: signal.Signals | None, step: int, run_dir: Path, ctx: DistContext
) -> TrainingInterrupted:
    """What a run stopped by Ctrl-C or SIGTERM says (only the first process under torchrun; a
    process that got no signal itself stopped because another one did) and exits with."""
    cause = f"by {SAID_AS[signum]}" if signum is not None else "with the other processes"
    message = (
        f"stopped {cause} at step {step}; its checkpoint, grids and report are in {run_dir}; "
        f"continue with --resume {run_dir}"
    )
    status = EXIT_STATUS[signum] if signum is not None else EXIT_STATUS[signal.SIGINT]
    return TrainingInterrupted(message if ctx.is_main else "", status)


class ReportRefresh:
    """Rewrites ``report.html`` after each epoch, so a running job can be watched."""

    def on_epoch_end(self, trainer: Trainer) -> None:
        return None

    def after_checkpoint(self, trainer: Trainer, checkpoint: Path | None) -> None:
        if checkpoint is not None:
            write_report(trainer.run_dir)
