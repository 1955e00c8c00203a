"""``latentforge features fit | list``: feature extractors for the feature metrics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from latentforge.cli.options import add_batch_size_option, add_device_option
from latentforge.evaluation.fitted_features import KINDS, FitOptions, fit_extractor, fitted_root


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser("features", help="fit or list feature extractors for evaluation")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    fit = actions.add_parser(
        "fit",
        help="train a feature extractor on your data and cache it",
        description=(
            "Train a feature extractor on --data: a CNN classifier when the data have labels, "
            "else an autoencoder whose code is the feature. It is cached under --out in "
            "$LATENTFORGE_HOME/features (default ~/.cache/latentforge/features); use it with "
            "`latentforge evaluate RUN --features NAME`."
        ),
    )
    fit.add_argument(
        "--data", required=True, metavar="SPEC", help="dataset name, .npz file or image folder"
    )
    fit.add_argument("--data-dir", default=None, metavar="PATH", help="where full datasets live")
    fit.add_argument(
        "--image-size", default=None, type=int, metavar="N", help="resize images to SIZE"
    )
    fit.add_argument(
        "--channels",
        default=None,
        type=int,
        choices=(1, 3),
        help="convert images to 1 or 3 channels",
    )
    fit.add_argument(
        "--out", default=None, metavar="NAME", help="name to cache it under (default: from --data)"
    )
    fit.add_argument(
        "--kind",
        default="auto",
        choices=KINDS,
        help="classifier (needs labels), autoencoder, or auto: a classifier when the data "
        "have labels (default: auto)",
    )
    fit.add_argument(
        "--epochs", type=int, default=10, metavar="N", help="training epochs (default: 10)"
    )
    add_batch_size_option(fit, 128)
    fit.add_argument(
        "--lr", type=float, default=2e-3, metavar="FLOAT", help="learning rate (default: 0.002)"
    )
    fit.add_argument(
        "--latent-dim",
        type=int,
        default=64,
        metavar="N",
        help="autoencoder code size (default: 64)",
    )
    fit.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of weights and batches (default: 0)"
    )
    add_device_option(fit, "cpu")
    fit.add_argument("--overwrite", action="store_true", help="replace an extractor of that name")
    fit.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    fit.set_defaults(handler=run_fit)

    listing = actions.add_parser("list", help="list the available feature extractors")
    listing.set_defaults(handler=run_list)


def default_name(spec: str) -> str:
    path = Path(spec)
    return (path.stem if path.suffix else path.name or spec).lower().replace(" ", "-")


def run_fit(args: argparse.Namespace) -> int:
    from latentforge.training.distributed import resolve_device
    from latentforge.training.run import DataConfig

    size = None if args.image_size is None else (args.image_size, args.image_size)
    data_config = DataConfig(
        spec=args.data, data_dir=args.data_dir, image_size=size, channels=args.channels
    )
    options = FitOptions(
        kind=args.kind,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        latent_dim=args.latent_dim,
        seed=args.seed,
        device=str(resolve_device(args.device)),
        progress=not args.no_progress,
    )
    name = args.out or default_name(args.data)
    manifest = fit_extractor(data_config, name, options, overwrite=args.overwrite)
    shape = "x".join(map(str, manifest["image_shape"]))
    print(f"fitted a {manifest['kind']} feature extractor on {args.data} ({shape} images)")
    for key, value in manifest["quality"].items():
        print(f"  {key}: {value:.4f}")
    print(f"cached as {fitted_root() / name}; use it with --features {name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from latentforge.evaluation.feature_extractors import FEATURE_EXTRACTORS
    from latentforge.evaluation.fitted_features import fitted_names, read_manifest

    for name in FEATURE_EXTRACTORS.names():
        print(f"{name}: built in")
    for name in fitted_names():
        manifest = read_manifest(name)
        print(
            f"{name}: {manifest['kind']} fitted on {manifest['data']['spec']} "
            f"{json.dumps(manifest['quality'])}"
        )
    return 0
