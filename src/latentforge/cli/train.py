"""``latentforge train MODEL [options]``: one sub-verb per registered model, its options
generated from the model's config, the data and training options shared by all."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.options import add_config_options, collect
from latentforge.evaluation.config import TrainingEvalConfig
from latentforge.models import MODELS
from latentforge.training.config import TrainConfig
from latentforge.training.run import DataConfig, RunConfig
from latentforge.training.run import train as run_training

# Filled from the data, not from options.
DATA_DERIVED = ("in_channels", "image_size", "num_classes")
DATA_FLAGS = {"spec": "--data"}
DATA_HELP = {
    "spec": "sample (built in), fashion-mnist, mnist, cifar10, orl-faces, a .npz file, an image "
    "folder, or image pairs: edges2fashion, sneaker2boot, paired:A,B, side-by-side:DIR, "
    "unpaired:A,B",
    "data_dir": "where full datasets live (also $LATENTFORGE_DATA)",
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
    parser = verbs.add_parser("train", help="train a model", description="Train a model.")
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
        add_common_options(sub)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    add_data_and_training_options(parser)
    evaluation = parser.add_argument_group("evaluation during training")
    add_config_options(evaluation, TrainingEvalConfig, dest_prefix="eval.")
    run = parser.add_argument_group("run directory")
    run.add_argument("--out", type=Path, metavar="PATH", help="run directory (default: runs/MODEL)")
    run.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in folder RUN")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")


def add_data_and_training_options(parser: argparse.ArgumentParser) -> None:
    """The ``data`` and ``training`` option groups (``train`` and ``sweep`` share them)."""
    data = parser.add_argument_group("data")
    add_config_options(
        data,
        DataConfig,
        rename=DATA_FLAGS,
        dest_prefix="data.",
        helps=DATA_HELP,
        metavars=DATA_METAVARS,
    )
    train = parser.add_argument_group("training")
    add_config_options(
        train, TrainConfig, dest_prefix="train.", helps=TRAIN_HELP, metavars=TRAIN_METAVARS
    )


def run(args: argparse.Namespace) -> int:
    model_cls = MODELS.get(args.model_type)
    train_values = collect(args, TrainConfig, "train.")
    if args.resume is not None:
        run_dir = args.resume
        run_training(None, run_dir, resume=True, overrides=train_values)
    else:
        run_config = RunConfig(
            model_type=args.model_type,
            model=collect(args, model_cls.config_class, "model."),
            data=DataConfig(**collect(args, DataConfig, "data.")),
            train=TrainConfig(**train_values),
            evaluation=TrainingEvalConfig(**collect(args, TrainingEvalConfig, "eval.")),
        )
        run_dir = args.out or Path("runs") / args.model_type
        run_training(run_config, run_dir, overwrite=args.overwrite)
    print_run_summary(run_dir)
    return 0


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
