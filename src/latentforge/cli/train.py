"""``latentforge train MODEL [options]``: one sub-verb per registered model, its options
generated from the model's config, the data and training options shared by all."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from latentforge.cli.config_file import read_run_file, to_toml
from latentforge.cli.options import add_config_options, collect
from latentforge.errors import ConfigError
from latentforge.evaluation.callback import train_with_evaluation
from latentforge.models import MODELS
from latentforge.steps.train_config import TrainConfig
from latentforge.training.eval_options import TrainingEvalConfig
from latentforge.training.run import DataConfig, RunConfig
from latentforge.training.run_dir import RUN_CONFIG

# Filled from the data, not from options.
DATA_DERIVED = ("in_channels", "image_size", "num_classes")
DATA_FLAGS = {"spec": "--data"}
DATA_HELP = {
    "spec": "sample (built in), fashion-mnist, mnist, cifar10, orl-faces, a .npz file, an image "
    "folder, or image pairs: edges2fashion, sneaker2boot, edges:SPEC, paired:A,B, "
    "side-by-side:DIR, unpaired:A,B",
    "data_dir": "where full datasets live",
    "image_size": "resize images to SIZE or H,W",
    "channels": "convert images to 1 or 3 channels",
    "val_fraction": "share of the training split held out for validation",
    "download": "download missing standard datasets",
    "classes": "keep only these class ids in the train and val splits (the test split stays whole)",
    "noise": "train to denoise: corrupt the inputs with gaussian:SIGMA, salt-pepper:P or mask:P",
}
DATA_METAVARS = {"spec": "SPEC", "data_dir": "PATH", "noise": "KIND:LEVEL"}
TRAIN_HELP = {
    "epochs": "passes over the training split",
    "lr": "learning rate (models with two networks take --lr-g and --lr-d instead)",
    "seed": "seed of every random draw: weights, batches, noise, the validation split",
    "grad_clip": "clip the gradients' global L2 norm to this value",
    "warmup_steps": "raise the learning rate linearly from 0 over this many steps",
    "log_every": "write a metrics.jsonl record every N steps",
    "keep_checkpoints": "how many of the latest checkpoints to keep",
    "num_workers": "processes that load batches (0: load in the training process)",
    "grid_size": "images in each grid written at the end of an epoch",
    "progress": "show a progress bar",
    "tensorboard": "write TensorBoard events",
    "batch_size": "global batch, split over torchrun processes",
    "device": "auto, cpu, cuda, cuda:N or mps",
    "precision": "fp32, bf16 or fp16 (fp16 needs CUDA)",
    "ema_decay": "keep an exponential moving average of the weights with this decay",
    "lr_schedule": "constant, cosine or linear",
    "max_steps": "stop (and checkpoint) after this many steps",
    "checkpoint_every": "also checkpoint every N steps",
}
TRAIN_METAVARS = {"device": "DEVICE", "precision": "fp32|bf16|fp16", "lr_schedule": "SCHEDULE"}


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "train",
        help="train a model",
        description="Train a model: `latentforge train MODEL [options]`, or "
        "`latentforge train --config run.toml [options]` with the options in a file "
        "(see `latentforge train MODEL --print-config`).",
    )
    models = parser.add_subparsers(dest="model_type", metavar="MODEL", parser_class=type(parser))
    models.required = True
    for name in MODELS.names():
        model_cls = MODELS.get(name)
        sub = models.add_parser(
            name,
            help=(model_cls.__doc__ or name).strip().splitlines()[0],
            description=f"Train a {name} model.",
        )
        sub.set_defaults(handler=run, model_type=name)
        group = sub.add_argument_group(f"{name} options")
        add_config_options(group, model_cls.config_class, skip=DATA_DERIVED, dest_prefix="model.")
        add_common_options(sub, model_cls.config_class.default_data)


def add_common_options(parser: argparse.ArgumentParser, default_data: str) -> None:
    add_data_and_training_options(parser, default_data)
    evaluation = parser.add_argument_group("evaluation during training")
    add_config_options(evaluation, TrainingEvalConfig, dest_prefix="eval.")
    run = parser.add_argument_group("run directory")
    run.add_argument("--out", type=Path, metavar="PATH", help="run directory (default: runs/MODEL)")
    run.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in folder RUN")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    files = parser.add_argument_group("run configs as files")
    files.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="read the options from a TOML file (or a run's config.json); options given here "
        "override it; `latentforge train --config PATH` takes the model from the file",
    )
    files.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved options as TOML that --config reads, and exit",
    )


def add_data_and_training_options(
    parser: argparse.ArgumentParser, default_data: str = "sample"
) -> None:
    """The ``data`` and ``training`` option groups (``train`` and ``sweep`` share them);
    ``default_data`` is the model's ``--data`` when none is given."""
    data = parser.add_argument_group("data")
    add_config_options(
        data,
        DataConfig,
        rename=DATA_FLAGS,
        dest_prefix="data.",
        helps=DATA_HELP,
        metavars=DATA_METAVARS,
        shown_defaults={
            "spec": default_data,
            "data_dir": "$LATENTFORGE_DATA, else ~/.cache/latentforge",
            "image_size": "the data's own",
            "channels": "the data's own",
            "classes": "all",
            "noise": "none",
        },
    )
    train = parser.add_argument_group("training")
    add_config_options(
        train, TrainConfig, dest_prefix="train.", helps=TRAIN_HELP, metavars=TRAIN_METAVARS
    )


def run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        if args.config is not None or args.print_config:
            raise ConfigError(
                "--resume continues a run with its own config.json; --config and "
                "--print-config describe a new run: give one or the other"
            )
        run_dir = args.resume
        refuse_run_changes(args, run_dir)
        train_with_evaluation(
            None, run_dir, resume=True, overrides=collect(args, TrainConfig, "train.")
        )
        print_run_summary(run_dir)
        return 0
    run_config = resolved_run_config(args)
    if args.print_config:
        print(to_toml(printable(run_config)), end="")
        return 0
    run_dir = args.out or Path("runs") / args.model_type
    train_with_evaluation(run_config, run_dir, overwrite=args.overwrite)
    print_run_summary(run_dir)
    return 0


def refuse_run_changes(args: argparse.Namespace, run_dir: Path) -> None:
    """A resumed run keeps its model, its data and its evaluation: an option of those given
    with another value than the run's is refused in one line, rather than silently ignored."""
    if not (run_dir / RUN_CONFIG).is_file():
        return  # resuming says what is wrong with the folder
    saved = RunConfig.read(run_dir)
    if saved.model_type != args.model_type:
        raise ConfigError(
            f"{run_dir} is a {saved.model_type} run, not {args.model_type}: continue it with "
            f"`latentforge train {saved.model_type} --resume {run_dir}`"
        )
    config_class = MODELS.get(saved.model_type).config_class
    sections = (
        ("model.", config_class, saved.model, option_defaults(config_class), {}),
        ("data.", DataConfig, saved.data.to_dict(), {}, DATA_FLAGS),
        ("eval.", TrainingEvalConfig, saved.evaluation.to_dict(), {}, {}),
    )
    for prefix, config_cls, values, defaults, flags in sections:
        for name, value in collect(args, config_cls, prefix).items():
            kept = values.get(name, defaults.get(name))
            if _comparable(kept) == _comparable(value):
                continue
            flag = flags.get(name, "--" + name.replace("_", "-"))
            raise ConfigError(
                f"{flag} cannot change on --resume: the run in {run_dir} was made with "
                f"{kept!r}; start a new run with --config {run_dir / RUN_CONFIG} "
                f"{flag} ... --out NEW"
            )


def option_defaults(config_class: type) -> dict:
    """Each option of ``config_class`` and its default."""
    return {
        f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
        for f in dataclasses.fields(config_class)
        if f.init
    }


def _comparable(value):
    """Tuples and lists (JSON has only lists) compare alike."""
    return list(value) if isinstance(value, (tuple, list)) else value


def resolved_run_config(args: argparse.Namespace) -> RunConfig:
    """The run the command describes: the ``--config`` file if given, with the options on the
    command line over it."""
    model_cls = MODELS.get(args.model_type)
    base = (
        read_run_file(args.config)
        if args.config is not None
        else RunConfig(
            args.model_type,
            {},
            DataConfig(spec=model_cls.config_class.default_data),
            TrainConfig(),
        )
    )
    if base.model_type != args.model_type:
        raise ConfigError(
            f"--config {args.config} is for model {base.model_type}, not {args.model_type}: "
            f"use `latentforge train --config {args.config}` or `train {base.model_type}`"
        )

    def merged(config_cls, section, prefix: str):
        values = {**section.to_dict(), **collect(args, config_cls, prefix)}
        return config_cls.from_dict(values, "the options")

    return RunConfig(
        model_type=args.model_type,
        model={**base.model, **collect(args, model_cls.config_class, "model.")},
        data=merged(DataConfig, base.data, "data."),
        train=merged(TrainConfig, base.train, "train."),
        evaluation=merged(TrainingEvalConfig, base.evaluation, "eval."),
    )


def printable(run: RunConfig) -> dict:
    """``run`` with every model option spelled out (the defaults of those not given, except
    those read from the data), in the layout ``--config`` reads."""
    config_class = MODELS.get(run.model_type).config_class
    defaults = {
        name: value
        for name, value in option_defaults(config_class).items()
        if name not in DATA_DERIVED
    }
    values = run.to_dict()
    values.pop("latentforge_version", None)
    values["model"] = {**defaults, **run.model}
    return values


def print_run_summary(run_dir: Path) -> None:
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return
    print(f"run directory: {run_dir}")
    for folder in sorted((run_dir / "images").glob("*")):
        files = sorted(folder.glob("*.png"))
        if files:
            print(f"  {folder.name}: {files[-1]}")
    print(f"  report: {run_dir / 'report.html'}")
