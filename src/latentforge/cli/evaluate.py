"""``latentforge evaluate RUN``: score a trained run (any model type) against real data."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.cli.options import add_batch_size_option, add_device_option
from latentforge.evaluation.metrics import ALL_METRICS, EvaluationConfig


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "evaluate",
        help="measure a trained model: FID-style distance, KID, PRDC, modes, NLL, reconstruction",
        description=(
            "Evaluate the newest checkpoint of RUN. Generated samples are compared with real "
            "images in the feature space of --features; nll needs a VAE, recon an autoencoder "
            "(other models skip them with a note). Writes RUN/evaluation.json and refreshes "
            "RUN/report.html."
        ),
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument("--data", default=None, help="real data (default: the run's own data)")
    parser.add_argument("--data-dir", default=None, metavar="PATH", help="where full datasets live")
    parser.add_argument(
        "--split",
        default=None,
        choices=("train", "val", "test"),
        help="real split (default: test if the data have one, else val, else train)",
    )
    parser.add_argument(
        "--metrics",
        default=",".join(ALL_METRICS),
        help=f"comma-separated (default: {','.join(ALL_METRICS)})",
    )
    parser.add_argument("-n", "--n", type=int, default=10_000, help="generated samples")
    parser.add_argument(
        "--features",
        default="classifier",
        help="feature extractor: classifier (shipped, offline), inception (weights on disk) or "
        "the NAME of one made by `latentforge features fit`",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    add_batch_size_option(parser, 500)
    parser.add_argument(
        "--nll-k", type=int, default=100, metavar="K", help="importance samples per image"
    )
    parser.add_argument("--nll-images", type=int, default=1000, metavar="N", help="images for nll")
    add_device_option(parser)
    parser.add_argument("--no-cache", action="store_true", help="recompute real features")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from latentforge.evaluation.run import evaluate_run

    config = EvaluationConfig(
        metrics=args.metrics,
        n=args.n,
        features=args.features,
        batch_size=args.batch_size,
        seed=args.seed,
        nll_k=args.nll_k,
        nll_images=args.nll_images,
        cache=not args.no_cache,
    )
    result = evaluate_run(
        args.run,
        config,
        data=args.data,
        data_dir=args.data_dir,
        split=args.split,
        device=args.device,
        progress=not args.no_progress,
    )
    info = result.info
    features = f", features: {info['features']}" if "features" in info else ""
    print(
        f"{info['model_type']} from {info['checkpoint']} on {info['dataset']} [{info['split']}]"
        f"{features}"
    )
    print(result.table())
    if args.json is not None:
        result.write_json(args.json)
        print(f"wrote {args.json}")
    return 0
