"""``latentforge upscale RUN IMAGE... -o OUT``: super-resolve images with a trained ``srgan``.

    latentforge upscale runs/srgan small.png -o big.png
    latentforge upscale runs/srgan a.png b.png -o upscaled/      # upscaled/a-x4.png, ...

Images of any size are accepted (the generator is convolutional); each comes out ``--factor``
times larger in both directions, grey or RGB as the model was trained.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.image_io import is_image_path, read_image
from latentforge.cli.options import add_device_option
from latentforge.cli.run_loading import load_run_model
from latentforge.errors import ConfigError
from latentforge.models.capabilities import Upscales
from latentforge.viz.grid import save_image


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("upscale", help="super-resolve images with a trained srgan")
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="images to upscale")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="output image (one input) or folder (written as NAME-xR.png)",
    )
    add_device_option(parser)
    parser.set_defaults(handler=run_upscale)


def output_paths(images: list[Path], output: Path, factor: int) -> list[Path]:
    """One output per input: ``output`` itself for a single input named like an image, else
    ``output/<stem>-x<factor>.png``."""
    if len(images) == 1 and is_image_path(output):
        return [output]
    if output.exists() and not output.is_dir():
        raise ConfigError(f"-o {output} is a file; give a folder for {len(images)} images")
    return [output / f"{image.stem}-x{factor}.png" for image in images]


def run_upscale(args: argparse.Namespace) -> int:
    model, _ = load_run_model(args, Upscales, "does not upscale images; use an srgan run")
    factor = model.config.factor
    targets = output_paths(args.images, args.output, factor)
    inputs = [read_image(path, model.config.in_channels) for path in args.images]  # all first
    for source, image, target in zip(args.images, inputs, targets):
        upscaled = model.upscale(image.to(model.device))[0].cpu()
        target.parent.mkdir(parents=True, exist_ok=True)
        save_image(upscaled, target)
        h, w = image.shape[-2:]
        print(f"{source} ({h}x{w}) -> {target} ({h * factor}x{w * factor})")
    return 0
