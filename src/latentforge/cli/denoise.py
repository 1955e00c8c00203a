"""``latentforge denoise RUN INPUT... -o OUT``: clean images with a denoising autoencoder.

INPUT: image files, folders of images, or ``.npz`` archives; every image is brought to the
model's size and channels. OUT ending in ``.png`` gets one grid (rows of inputs, each above
its denoised row; with ``--noise``: noisy / denoised / clean rows); any other OUT is a folder
that gets one denoised PNG per input, named after it (see ``latentforge.data.image_inputs``).

``--noise SPEC`` treats the inputs as clean: they are corrupted first (seeded by ``--seed``),
and the PSNR / SSIM of the noisy and of the denoised images against them are printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from latentforge.apps.denoising import denoise, evaluate_denoising, require_reconstruct
from latentforge.cli.options import add_batch_size_option, add_device_option
from latentforge.cli.run_loading import load_run_model
from latentforge.data.corruption import parse_corruption
from latentforge.data.image_inputs import read_image_inputs
from latentforge.data.transforms import ImageTransform
from latentforge.errors import ConfigError
from latentforge.viz.grid import interleave_groups, save_grid, save_image


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "denoise",
        help="denoise images with a trained ae or vae",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, .npz")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="a .png grid or a folder of PNGs"
    )
    parser.add_argument(
        "--noise", default=None, help="corrupt the (clean) inputs first: gaussian:0.3, mask:0.25"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of --noise (default: 0)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N images only")
    parser.add_argument("--npz-test", action="store_true", help="read x_test from .npz inputs")
    parser.add_argument("--nrow", type=int, default=8, help="images per grid row (default: 8)")
    add_batch_size_option(parser, 256)
    add_device_option(parser)
    parser.set_defaults(handler=run_denoise)


def run_denoise(args: argparse.Namespace) -> int:
    for flag, value in (("--limit", args.limit), ("--nrow", args.nrow)):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be >= 1, got {value}")
    corruption = None if args.noise is None else parse_corruption(args.noise)
    model, device = load_run_model(args)
    require_reconstruct(model)
    transform = ImageTransform(tuple(model.config.image_size), model.config.in_channels)
    raw, names = read_image_inputs(args.inputs, transform, args.npz_test, args.limit)
    images = raw.float().div(255.0)  # uint8 -> [0, 1]
    if corruption is not None:
        generator = torch.Generator().manual_seed(args.seed)
        result = evaluate_denoising(model, images, corruption, generator, args.batch_size)
        rows, denoised = [result.noisy, result.denoised, images], result.denoised
        print(json.dumps({"images": len(images), "noise": str(corruption), **result.metrics()}))
    else:
        denoised = denoise(model, images, args.batch_size)
        rows = [images, denoised]
    if args.output.suffix.lower() == ".png":
        save_grid(interleave_groups(rows, args.nrow), args.output, nrow=min(args.nrow, len(images)))
        print(f"wrote a grid of {len(images)} images to {args.output}")
    else:
        for name, image in zip(names, denoised):
            save_image(image, args.output / f"{name}.png")
        print(f"wrote {len(names)} denoised images to {args.output}/")
    return 0
