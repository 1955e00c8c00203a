"""``latentforge train MODEL [options]``: one sub-verb per registered model, its options
generated from the model's config, the data and training options shared by all."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.options import add_config_options, collect
from latentforge.evaluation.callback import train_with_evaluation
from latentforge.models import MODELS
from latentforge.steps.train_config import TrainConfig
from latentforge.training.eval_options import TrainingEvalConfig
from latentforge.training.run import DataConfig, RunConfig

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
TRAIN_HELP = {
    "batch_size": "global batch, split over torchrun processes",
    "device": "auto, cpu, cuda, cuda:N or mps",
    "precision": "fp32, bf16 or fp16 (fp16 needs CUDA)",
    "ema_decay": "keep an exponential moving average of the weights with this decay",
    "lr_schedule": "constant, cosine or linear",
    "max_steps": "stop (and checkpoint) after this many steps",
    "checkpoint_every": "also checkpoint every N steps",
}


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
    data = parser.add_argument_group("data")
    add_config_options(data, DataConfig, rename=DATA_FLAGS, dest_prefix="data.", helps=DATA_HELP)
    train = parser.add_argument_group("training")
    add_config_options(train, TrainConfig, dest_prefix="train.", helps=TRAIN_HELP)
    evaluation = parser.add_argument_group("evaluation during training")
    add_config_options(evaluation, TrainingEvalConfig, dest_prefix="eval.")
    run = parser.add_argument_group("run directory")
    run.add_argument("--out", type=Path, help="run directory (default: runs/MODEL)")
    run.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue the run in RUN_DIR")
    run.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")


def run(args: argparse.Namespace) -> int:
    model_cls = MODELS.get(args.model_type)
    train_values = collect(args, TrainConfig, "train.")
    if args.resume is not None:
        run_dir = args.resume
        train_with_evaluation(None, run_dir, resume=True, overrides=train_values)
    else:
        run_config = RunConfig(
            model_type=args.model_type,
            model=collect(args, model_cls.config_class, "model."),
            data=DataConfig(**collect(args, DataConfig, "data.")),
            train=TrainConfig(**train_values),
            evaluation=TrainingEvalConfig(**collect(args, TrainingEvalConfig, "eval.")),
        )
        run_dir = args.out or Path("runs") / args.model_type
        train_with_evaluation(run_config, run_dir, overwrite=args.overwrite)
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
