"""The command-line entry point: builds the verbs and turns user errors into exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from latentforge import __version__
from latentforge.cli import (
    anomaly,
    bias,
    denoise,
    evaluate,
    explore,
    features,
    inpaint,
    inspect_run,
    interpolate,
    latents,
    sweep,
    train,
    translate,
    traverse,
    upscale,
)
from latentforge.cli.config_file import model_named_by_config
from latentforge.cli.options import Parser
from latentforge.errors import LatentforgeError, TrainingInterrupted
from latentforge.models import MODELS

# Each verb module has ``register(subparsers)``; a new verb is a new module in this list.
VERB_MODULES = (
    train,
    inspect_run,
    interpolate,
    evaluate,
    features,
    bias,
    denoise,
    anomaly,
    traverse,
    latents,
    sweep,
    translate,
    upscale,
    inpaint,
    explore,
)


def build_parser() -> Parser:
    parser = Parser(
        prog="latentforge",
        description="Deep generative models: train, sample, reconstruct, inspect.",
    )
    parser.add_argument("--version", action="version", version=f"latentforge {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    verbs.required = True
    for module in VERB_MODULES:
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:  # `train --config FILE` takes its model from the file
        argv = model_named_by_config(argv, MODELS.names())
    except LatentforgeError as err:
        print(f"latentforge train: error: {err}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TrainingInterrupted as err:
        if str(err):  # under torchrun only the first process says it
            print(f"latentforge {args.verb}: {err}", file=sys.stderr)
        return err.exit_status
    except LatentforgeError as err:
        if str(err):  # under torchrun the main process alone says what stopped every process
            print(f"latentforge {args.verb}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"latentforge {args.verb}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"latentforge {args.verb}: interrupted", file=sys.stderr)
        return 130
