"""``latentforge translate RUN INPUT... -o OUT``: translate image files with a pix2pix or
CycleGAN run and write the results as PNG files.

    latentforge translate runs/pix2pix edges/ -o translated/
    latentforge translate runs/cyclegan boot1.png boot2.png --direction b2a -o sneakers/

Each INPUT is an image file or a folder (searched recursively). Images are converted to the
model's channel count and resized to its image size (bilinear, antialiased when shrinking),
so the outputs have the model's size. A file ``x.jpg`` becomes ``OUT/x.png``; files found in a
folder keep their path below it. ``--grid FILE`` also writes inputs above outputs as one image.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from latentforge.cli.options import add_device_option
from latentforge.cli.run_loading import load_run_model
from latentforge.data.image_files import IMAGE_SUFFIXES, decode_image, find_image_files
from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError
from latentforge.models.capabilities import Translates
from latentforge.viz.grid import interleave_groups, save_grid, save_image

CHUNK = 64


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "translate", help="translate images with a pix2pix or cyclegan run and write them"
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help="images or folders")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder for the results")
    parser.add_argument(
        "--direction", default="a2b", help="a2b (source -> target; default) or b2a (cyclegan)"
    )
    parser.add_argument("--grid", type=Path, help="also write inputs above outputs to this PNG")
    add_device_option(parser)
    parser.set_defaults(handler=run_translate)


def collect_inputs(inputs: list[Path]) -> list[tuple[Path, Path]]:
    """``(file, output name)`` for every input image; a :class:`DataError` for missing paths,
    non-images, empty folders and two inputs that would write the same output."""
    found: list[tuple[Path, Path]] = []
    for path in inputs:
        if path.is_dir():
            files = find_image_files(path)
            if not files:
                raise DataError(f"{path} contains no image files")
            found += [(f, f.relative_to(path).with_suffix(".png")) for f in files]
        elif path.is_file():
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
                raise DataError(f"{path} is not an image file (known suffixes: {suffixes})")
            found.append((path, Path(path.with_suffix(".png").name)))
        else:
            raise DataError(f"input {path} does not exist; give image files or folders")
    names: dict[Path, Path] = {}
    for file, name in found:
        if name in names:
            raise DataError(
                f"{names[name]} and {file} would both be written as {name}; translate them "
                "in separate calls or rename one"
            )
        names[name] = file
    return found


def run_translate(args: argparse.Namespace) -> int:
    model, device = load_run_model(
        args, Translates, "does not translate images; use a pix2pix or cyclegan run"
    )
    channels, height, width = model.source_shape(args.direction)
    transform = ImageTransform((height, width), channels)
    jobs = collect_inputs(args.inputs)
    shown_inputs, shown_outputs = [], []
    for start in range(0, len(jobs), CHUNK):
        chunk = jobs[start : start + CHUNK]
        images = torch.stack([decode_image(file, transform) for file, _ in chunk])
        with torch.no_grad():
            outputs = model.translate(images.to(device).float() / 255.0, args.direction)
        for (_, name), output in zip(chunk, outputs):
            save_image(output, args.output / name)
        if len(shown_inputs) < 4:  # at most 4 chunks' worth for the grid
            shown_inputs.append(images.float() / 255.0)
            shown_outputs.append(outputs.cpu())
    if args.grid is not None:
        grid_rows = interleave_groups(
            [torch.cat(shown_inputs), torch.cat(shown_outputs)], per_row=8
        )
        save_grid(grid_rows, args.grid, nrow=min(8, len(jobs)))
    print(f"wrote {len(jobs)} translated image(s) ({args.direction}) to {args.output}")
    return 0
