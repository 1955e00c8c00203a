"""``latentforge sample | reconstruct | info``: use and inspect a trained run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from latentforge.cli.options import add_device_option
from latentforge.cli.run_data import add_data_arguments, load_split
from latentforge.data.batching import to_batch
from latentforge.errors import ConfigError
from latentforge.models.capabilities import Reconstructs
from latentforge.training.checkpoint import load_model, resolve_model_dir
from latentforge.training.distributed import resolve_device
from latentforge.training.run import RUN_CONFIG
from latentforge.utils.files import read_json
from latentforge.utils.run_logs import read_metrics
from latentforge.viz.grid import interleave_rows, save_grid


def register(verbs: argparse._SubParsersAction) -> None:
    sample = verbs.add_parser("sample", help="draw new images from a trained model")
    sample.add_argument("run", type=Path, help="run directory or saved model folder")
    sample.add_argument("-n", type=int, default=64, help="number of images (default: 64)")
    sample.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("samples.png"),
        metavar="PATH",
        help="grid image to write (default: samples.png)",
    )
    sample.add_argument("--nrow", type=int, default=8, help="images per row (default: 8)")
    sample.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the samples (default: 0)"
    )
    add_device_option(sample)
    sample.set_defaults(handler=run_sample)

    recon = verbs.add_parser("reconstruct", help="encode and decode images with a trained model")
    recon.add_argument("run", type=Path, help="run directory or saved model folder")
    add_data_arguments(recon, "val", "dataset (default: the run's own data)")
    recon.add_argument("-n", type=int, default=32, help="number of images (default: 32)")
    recon.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("reconstructions.png"),
        metavar="PATH",
        help="grid image to write (default: reconstructions.png)",
    )
    add_device_option(recon)
    recon.set_defaults(handler=run_reconstruct)

    info = verbs.add_parser("info", help="describe a run or saved model")
    info.add_argument("run", type=Path, help="run directory or saved model folder")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=run_info)


def _positive(value: int, flag: str) -> None:
    if value < 1:
        raise ConfigError(f"{flag} must be >= 1, got {value}")


def run_sample(args: argparse.Namespace) -> int:
    _positive(args.n, "-n")
    _positive(args.nrow, "--nrow")
    device = resolve_device(args.device)
    model = load_model(args.run, device)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    images = model.sample(args.n, generator=generator)
    save_grid(images, args.output, nrow=args.nrow)
    print(f"wrote {args.n} samples to {args.output}")
    return 0


def run_reconstruct(args: argparse.Namespace) -> int:
    _positive(args.n, "-n")
    device = resolve_device(args.device)
    model = load_model(args.run, device)
    if not isinstance(model, Reconstructs):
        raise ConfigError(
            f"a {model.model_type} model cannot reconstruct images; use an ae or vae run"
        )
    images_set = load_split(args, model)
    n = min(args.n, len(images_set))
    batch = to_batch(*images_set.take(torch.arange(n)), device)
    recon = model.reconstruct(batch["images"])
    save_grid(interleave_rows(batch["images"], recon, per_row=8), args.output, nrow=min(8, n))
    print(f"wrote {n} originals (odd rows) and reconstructions (even rows) to {args.output}")
    return 0


def recorded_run(path: Path) -> dict:
    """What a run directory's config.json says: the data and training length, and what it
    was trained with (library, torch, Python, device) when it started and at each resume;
    nothing for a bare saved model."""
    if not (path / RUN_CONFIG).is_file():
        return {}
    recorded = read_json(path / RUN_CONFIG, "run config")
    train = recorded.get("train", {})
    trained_with = recorded.get("environment") or {
        "latentforge": recorded.get("latentforge_version", "not recorded")
    }
    described = {
        "data": recorded.get("data", {}).get("spec"),
        "planned": {k: train.get(k) for k in ("epochs", "max_steps", "batch_size", "seed")},
        "trained_with": trained_with,  # its first start
    }
    if recorded.get("resumed_environments"):
        described["resumed_with"] = recorded["resumed_environments"]  # each resume, in order
    return described


def run_info(args: argparse.Namespace) -> int:
    model_dir = resolve_model_dir(args.run)
    model = load_model(args.run)
    info = {
        "path": str(args.run),
        "checkpoint": str(model_dir),
        "model_type": model.model_type,
        "parameters": sum(p.numel() for p in model.parameters()),
        "config": model.config.to_dict(),
    }
    records = read_metrics(args.run)
    epochs = [r for r in records if any(k.startswith("val/") for k in r)]
    if records:
        info["step"] = records[-1].get("step")
        info["epoch"] = records[-1].get("epoch")
    if epochs:
        info["latest_validation"] = {k: v for k, v in epochs[-1].items() if k.startswith("val/")}
    info.update(recorded_run(args.run))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
    return 0
