"""``latentforge interpolate RUN``: walk between latent points and write a strip of images.

    latentforge interpolate runs/dcgan -n 10 --rows 4 --spherical -o strip.png
    latentforge interpolate runs/vae --images 3,17,5,9 -n 8 -o pairs.png --json pairs.json

Without ``--images`` each row goes from one random prior point (noise for a GAN, a draw from
the prior or the fitted code Gaussian for a VAE or autoencoder) to another in ``-n`` steps;
``--spherical`` follows the great circle (slerp) instead of the straight line. With
``--images I,J,...`` (autoencoders) each pair of images of the data split is encoded and row r
walks from the code of one to the other, the input images shown in the first and last column.
The smoothness of the walks (``latentforge.apps.interpolation``) is printed and, with
``--json``, written out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from latentforge.apps.interpolation import input_walks, prior_walks, smoothness
from latentforge.apps.latent_codes import take_images
from latentforge.cli.options import _int_tuple, add_device_option
from latentforge.cli.run_data import add_data_arguments, load_split
from latentforge.cli.run_loading import load_run_model
from latentforge.errors import ConfigError
from latentforge.models.capabilities import Decodes, Encodes, require_capability
from latentforge.utils.files import atomic_write_json
from latentforge.viz.grid import save_grid


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "interpolate",
        help="walk between two latent points or two input images and write a strip of images",
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("-n", "--steps", type=int, default=10, help="images per walk (default: 10)")
    parser.add_argument(
        "--rows", type=int, default=1, help="number of walks between prior points (default: 1)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the end points (default: 0)")
    parser.add_argument(
        "--spherical", action="store_true", help="spherical interpolation (slerp) instead of lerp"
    )
    parser.add_argument(
        "--images",
        type=_int_tuple,
        metavar="I,J,...",
        default=None,
        help="walk between the codes of these data images, taken in pairs (autoencoders)",
    )
    add_data_arguments(parser, "val", "dataset of --images (default: the run's own data)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("interpolation.png"),
        metavar="PATH",
        help="grid image to write (default: interpolation.png)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the smoothness here")
    add_device_option(parser)
    parser.set_defaults(handler=run_interpolate)


def _image_walks(args: argparse.Namespace, model, device: torch.device) -> torch.Tensor:
    """Frames with the inputs as first and last column: ``(R, steps + 2, C, H, W)``."""
    require_capability(model, Encodes, "cannot encode images; --images needs an ae or vae run")
    if len(args.images) % 2:
        raise ConfigError(
            f"--images takes pairs of image indices (start, end, start, end, ...), got "
            f"{len(args.images)} indices"
        )
    images = take_images(load_split(args, model), list(args.images), device)
    starts, ends = images[0::2], images[1::2]
    frames = input_walks(model, starts, ends, args.steps, args.spherical)
    return torch.cat([starts.unsqueeze(1), frames, ends.unsqueeze(1)], dim=1)


def run_interpolate(args: argparse.Namespace) -> int:
    if args.steps < 2:
        raise ConfigError(f"-n must be >= 2 (the two ends of the walk), got {args.steps}")
    if args.rows < 1:
        raise ConfigError(f"--rows must be >= 1, got {args.rows}")
    model, device = load_run_model(args)
    if args.images is not None:
        strip = _image_walks(args, model, device)
        frames = strip[:, 1:-1]
    else:
        require_capability(
            model,
            Decodes,
            "has no latent space to walk (it needs sample_latent and decode); use an ae, vae or "
            "GAN run",
        )
        generator = torch.Generator(device=device).manual_seed(args.seed)
        strip = frames = prior_walks(model, args.rows, args.steps, args.spherical, generator)
    save_grid(strip.flatten(0, 1), args.output, nrow=strip.shape[1])
    measure = smoothness(frames)
    kind = "spherical" if args.spherical else "linear"
    print(f"wrote {strip.shape[0]} {kind} walk(s) of {args.steps} images to {args.output}")
    print(
        f"mean change per step {measure.mean_step:.4f} (endpoints differ by "
        f"{measure.endpoint_change:.4f}); path / direct {measure.path_ratio:.2f}; largest step "
        f"{measure.largest_share:.0%} of the path (equal steps: {1 / (args.steps - 1):.0%})"
    )
    if args.json is not None:
        atomic_write_json(
            args.json, {"walks": int(strip.shape[0]), "kind": kind, **measure.to_dict()}
        )
    return 0
