"""``latentforge sweep OPTION VALUES``: train one model per value and compare them.

    latentforge sweep latent-dim 2,4,8,16,32,64 --model ae --data fashion-mnist --epochs 5 \\
        --out runs/latent-sweep
    latentforge sweep beta 0.5,1,2,4 --model vae --latent-dim 16 --out runs/beta-sweep

Each value trains a run in ``OUT/OPTION-VALUE`` with the other options as given (those of
``latentforge train ae|vae``), then reconstruction error, sample quality (Frechet distance on
``--features``) and latent statistics are measured on the evaluation split and written to
``OUT/sweep.json``, ``OUT/sweep.md`` and ``OUT/sweep.png``. Running the same command again
resumes unfinished runs and measures finished ones again. See ``latentforge.apps.sweep``.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from latentforge.apps.sweep import SWEEPS, parse_sweep_values, run_sweep, sweep_table
from latentforge.cli.options import add_config_options, collect
from latentforge.cli.train import DATA_DERIVED, add_data_and_training_options
from latentforge.errors import ConfigError
from latentforge.models import MODELS
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import resolve_device
from latentforge.training.run import DataConfig, RunConfig

SWEEP_MODELS = ("ae", "vae")


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "sweep",
        help="train one model per value of an option (latent-dim, beta) and compare them",
        description="Train one model per value of an option and compare them.",
    )
    parser.add_argument("parameter", choices=tuple(SWEEPS), help="the option to sweep")
    parser.add_argument("values", help="comma-separated values, e.g. 2,4,8,16,32,64")
    parser.add_argument(
        "--model", choices=SWEEP_MODELS, default="ae", help="model to sweep (default: ae)"
    )
    group = parser.add_argument_group(
        "model options", "as for `latentforge train MODEL`; defaults are the chosen model's"
    )
    seen = set(DATA_DERIVED)
    for name in SWEEP_MODELS:
        config_class = MODELS.get(name).config_class
        add_config_options(group, config_class, skip=tuple(seen), dest_prefix="model.")
        seen |= {field.name for field in dataclasses.fields(config_class)}
    add_data_and_training_options(parser)
    study = parser.add_argument_group("measurement")
    study.add_argument(
        "--features",
        default="auto",
        help="features of the Frechet distance: auto, pixels or an extractor (default: auto)",
    )
    study.add_argument(
        "--eval-images",
        type=int,
        default=10_000,
        metavar="N",
        help="images measured (default: 10000)",
    )
    study.add_argument(
        "--eval-split",
        default="test",
        choices=("train", "val", "test"),
        help="split the runs are measured on (default: test)",
    )
    study.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="folder of the runs and the comparison (default: runs/sweep-OPTION)",
    )
    study.add_argument("--overwrite", action="store_true", help="retrain runs already in --out")
    parser.set_defaults(handler=run)


def _model_options(args: argparse.Namespace, field: str) -> dict:
    config_class = MODELS.get(args.model).config_class
    own = {f.name for f in dataclasses.fields(config_class)}
    given = {k[len("model.") :]: v for k, v in vars(args).items() if k.startswith("model.")}
    given = {k: v for k, v in given.items() if v is not None}
    if field in given:
        raise ConfigError(f"--{field.replace('_', '-')} is the swept option; give it as VALUES")
    if field not in own:
        raise ConfigError(f"--model {args.model} has no {field} to sweep; use --model vae")
    foreign = sorted(set(given) - own)
    if foreign:
        flags = ", ".join("--" + name.replace("_", "-") for name in foreign)
        raise ConfigError(f"{flags} does not apply to --model {args.model}")
    return collect(args, config_class, "model.")


def run(args: argparse.Namespace) -> int:
    field = SWEEPS[args.parameter][0]
    values = parse_sweep_values(args.parameter, args.values)
    base = RunConfig(
        model_type=args.model,
        model=_model_options(args, field),
        data=DataConfig(**collect(args, DataConfig, "data.")),
        train=TrainConfig(**collect(args, TrainConfig, "train.")),
    )
    out = args.out or Path("runs") / f"sweep-{args.parameter}"
    records = run_sweep(
        args.parameter,
        values,
        base,
        out,
        features=args.features,
        eval_images=args.eval_images,
        eval_split=args.eval_split,
        overwrite=args.overwrite,
        device=resolve_device(base.train.device),
    )
    print(sweep_table(records, args.parameter))
    print(f"wrote {out / 'sweep.json'}, {out / 'sweep.md'} and {out / 'sweep.png'}")
    return 0
