"""``latentforge interpolate RUN``: walk between random latent (noise) vectors and write a strip.

    latentforge interpolate runs/dcgan -n 10 --rows 4 --spherical -o strip.png

Each row goes from one random latent to another in ``-n`` steps; ``--spherical`` follows the
great circle (slerp) instead of the straight line. See ``latentforge.apps.interpolation``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from latentforge.apps.interpolation import LatentModel, interpolation_strip
from latentforge.errors import ConfigError
from latentforge.training.checkpoint import load_model
from latentforge.training.distributed import resolve_device
from latentforge.viz.grid import save_grid


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "interpolate", help="walk between random latent vectors and write a strip of images"
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("-n", "--steps", type=int, default=10, help="images per walk (default: 10)")
    parser.add_argument("--rows", type=int, default=1, help="number of walks (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the end points (default: 0)")
    parser.add_argument(
        "--spherical", action="store_true", help="spherical interpolation (slerp) instead of lerp"
    )
    parser.add_argument("-o", "--output", type=Path, default=Path("interpolation.png"))
    parser.add_argument("--device", default="auto")
    parser.set_defaults(handler=run_interpolate)


def run_interpolate(args: argparse.Namespace) -> int:
    if args.steps < 2:
        raise ConfigError(f"-n must be >= 2 (the two ends of the walk), got {args.steps}")
    device = resolve_device(args.device)
    model = load_model(args.run, device)
    if not isinstance(model, LatentModel):
        raise ConfigError(
            f"a {model.model_type} model has no latent space to walk (it needs sample_latent "
            "and decode); use a gan, dcgan, wgan or wgan-gp run"
        )
    generator = torch.Generator(device=device).manual_seed(args.seed)
    images = interpolation_strip(model, args.rows, args.steps, args.spherical, generator)
    save_grid(images, args.output, nrow=args.steps)
    kind = "spherical" if args.spherical else "linear"
    print(f"wrote {args.rows} {kind} walk(s) of {args.steps} images to {args.output}")
    return 0
