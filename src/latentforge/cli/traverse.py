"""``latentforge traverse RUN``: move each latent dimension over a range, one row per dimension.

    latentforge traverse runs/vae --image 12 --range 3 --steps 9 -o traversal.png
    latentforge traverse runs/ae --span data --top 8 -o traversal.png --json rows.json

The base code is the code of data image ``--image`` (autoencoders), a prior draw with
``--seed``, or else the centre of the model's latent Gaussian. Each row sets one dimension to
``--steps`` values over its span: ``--span prior`` (default) is centre +- ``--range`` standard
deviations of the model's latent Gaussian (-3..3 for a VAE's N(0, I) prior; the Gaussian
fitted to the training codes for an autoencoder); ``--span data`` is the central 98% of the
codes of the data split. Rows are ordered by how much they change the image (largest first);
``--json`` writes each row's dimension, effect and values. See ``latentforge.apps.traversal``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import Tensor

from latentforge.apps.coordinates import latent_axes
from latentforge.apps.latent_codes import encode_set, take_images
from latentforge.apps.traversal import Traversal, check_steps, data_span, prior_span, traversal
from latentforge.cli.options import add_device_option
from latentforge.cli.run_data import add_data_arguments, load_split
from latentforge.cli.run_loading import load_run_model
from latentforge.errors import ConfigError
from latentforge.models.capabilities import Encodes, require_capability
from latentforge.utils.files import atomic_write_json
from latentforge.viz.grid import save_grid

SPANS = ("prior", "data")


def add_traversal_arguments(parser: argparse.ArgumentParser, max_images: int = 2000) -> None:
    """Options shared by ``traverse`` and ``latents``: base code, range, steps, rows, data."""
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--image", type=int, default=None, help="base code: this data image's")
    base.add_argument("--seed", type=int, default=None, help="base code: a prior draw")
    parser.add_argument(
        "--range", type=float, default=3.0, help="half-width in standard deviations (default: 3)"
    )
    parser.add_argument("--steps", type=int, default=9, help="images per row (default: 9)")
    parser.add_argument("--top", type=int, default=None, help="keep the N strongest rows")
    parser.add_argument(
        "--max-images",
        type=int,
        default=max_images,
        metavar="N",
        help=f"images encoded from the data (default: {max_images})",
    )
    add_data_arguments(parser, "val", "dataset of --image and --span data (default: the run's)")
    add_device_option(parser)


def check_traversal_arguments(args: argparse.Namespace) -> None:
    check_steps(args.steps)
    if args.range <= 0:
        raise ConfigError(f"--range must be positive, got {args.range}")
    if args.top is not None and args.top < 1:
        raise ConfigError(f"--top must be >= 1, got {args.top}")


def encoder_lacks(why: str) -> str:
    """What a model without an encoder lacks for ``why`` (see ``require_capability``)."""
    return f"has no encoder; {why} needs an ae or vae run"


def require_encoder(model, why: str) -> None:
    """``ConfigError`` unless ``model`` encodes images and decodes codes (an ae or a vae)."""
    require_capability(model, Encodes, encoder_lacks(why))


def base_code(args: argparse.Namespace, model, device: torch.device) -> Tensor:
    """``(D,)``: the code of ``--image``, a prior draw with ``--seed``, or the prior's centre."""
    if args.image is not None:
        require_encoder(model, "--image")
        image = take_images(load_split(args, model), [args.image], device)
        return model.encode(image)[0].detach()
    if args.seed is not None:
        generator = torch.Generator(device=device).manual_seed(args.seed)
        return model.sample_latent(1, generator)[0]
    return model.latent_prior()[0].detach()


def write_traversal(result: Traversal, output: Path, json_path: Path | None = None) -> None:
    save_grid(result.grid_images(), output, nrow=result.images.shape[1])
    if json_path is not None:
        atomic_write_json(json_path, {"kind": result.name, "rows": result.rows()})


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "traverse", help="vary one latent dimension at a time; rows ordered by their effect"
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    add_traversal_arguments(parser)
    parser.add_argument(
        "--span", choices=SPANS, default="prior", help="range of each dimension (default: prior)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("traversal.png"),
        metavar="PATH",
        help="grid image to write (default: traversal.png)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.set_defaults(handler=run_traverse)


@torch.no_grad()
def run_traverse(args: argparse.Namespace) -> int:
    check_traversal_arguments(args)
    model, device = load_run_model(args, Encodes, encoder_lacks("a traversal"))
    base = base_code(args, model, device)
    if args.span == "data":
        require_encoder(model, "--span data")
        codes = encode_set(model, load_split(args, model), args.max_images, device=device).means
        low, high = data_span(codes)
    else:
        low, high = prior_span(model, args.range)
    result = traversal(model, base, latent_axes(base.shape[0]), low, high, args.steps, args.top)
    write_traversal(result, args.output, args.json)
    shown = ", ".join(f"{k} ({e:.3f})" for k, e in zip(result.order[:8], result.effects[:8]))
    print(f"wrote {len(result.order)} rows of {args.steps} images to {args.output}")
    print(f"dimensions by effect (mean absolute change along the row): {shown}")
    return 0
