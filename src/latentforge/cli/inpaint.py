"""``latentforge inpaint RUN IMAGE --mask MASK -o OUT``: fill a hole with a trained
``inpainting`` model.

    latentforge inpaint runs/inpainting face.png --mask hole.png -o filled.png

MASK is an image of the same size as IMAGE, white (> 127 in grey) where the hole is; the
image must have the size the model was trained on. Only the hole's pixels change.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.image_io import read_image
from latentforge.cli.options import add_device_option
from latentforge.cli.run_loading import load_run_model
from latentforge.errors import DataError
from latentforge.models.capabilities import Inpaints
from latentforge.viz.grid import save_image


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("inpaint", help="fill a hole in an image with a trained inpainting")
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("image", type=Path, help="the image to complete")
    parser.add_argument(
        "--mask", type=Path, required=True, help="mask image of the same size: white = hole"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="output image (.png)")
    add_device_option(parser)
    parser.set_defaults(handler=run_inpaint)


def run_inpaint(args: argparse.Namespace) -> int:
    model, _ = load_run_model(args, Inpaints, "does not inpaint; use an inpainting run")
    image = read_image(args.image, model.config.in_channels)
    mask = read_image(args.mask, 1, what="mask")
    size = tuple(model.config.image_size)
    if tuple(image.shape[-2:]) != size:
        raise DataError(
            f"{args.image} is {image.shape[-2]}x{image.shape[-1]} (height x width) but the model "
            f"fills {size[0]}x{size[1]} images; resize the image and its mask to that size"
        )
    if mask.shape[-2:] != image.shape[-2:]:
        raise DataError(
            f"mask {args.mask} is {mask.shape[-2]}x{mask.shape[-1]} but {args.image} is "
            f"{image.shape[-2]}x{image.shape[-1]}; the mask must have the image's size"
        )
    hole = (mask > 0.5).float()
    if not bool(hole.any()):
        raise DataError(f"mask {args.mask} has no white pixels: nothing to fill (white = hole)")
    filled = model.inpaint(image.to(model.device), hole.to(model.device))[0].cpu()
    save_image(filled, args.output)
    share = hole.mean().item()
    print(f"filled {share:.1%} of {args.image} -> {args.output}")
    return 0
