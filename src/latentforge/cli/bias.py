"""``latentforge bias report RUN``: the rarest and the most common latent regions of a
trained model, the images that fill them and the DB-VAE's resampling weights."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.apps.bias import analyse_bias
from latentforge.apps.bias_report import write_bias_report
from latentforge.cli.options import add_batch_size_option, add_device_option
from latentforge.cli.run_data import add_data_arguments, load_bundle_split
from latentforge.cli.run_loading import load_run_model


def register(verbs: argparse._SubParsersAction) -> None:
    bias = verbs.add_parser(
        "bias",
        help="uncover bias: rare and common regions of a model's latent space",
        description="Uncover bias in a trained model's latent space (DB-VAE method).",
    )
    actions = bias.add_subparsers(dest="bias_action", metavar="ACTION", parser_class=type(bias))
    actions.required = True
    report = actions.add_parser(
        "report",
        help="grids of the rarest and most common images, the sampling weights, per-class table",
        description="Write the bias report (PNG grids and plots, summary.json, report.html).",
    )
    report.add_argument("run", type=Path, help="run directory or saved model folder")
    add_data_arguments(report, "train", "dataset (default: the run's own data)")
    report.add_argument(
        "-o", "--output", type=Path, default=None, help="output folder (default: RUN/bias)"
    )
    report.add_argument("--bins", type=int, default=None, help="bins (default: the model's)")
    report.add_argument("--alpha", type=float, default=None, help="alpha (default: the model's)")
    report.add_argument(
        "--combine", default=None, help="product or max (default: the model's, else product)"
    )
    report.add_argument("-n", type=int, default=32, help="images per grid (default: 32)")
    add_batch_size_option(report, 256)
    add_device_option(report)
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    model, _ = load_run_model(args)
    data, images = load_bundle_split(args, model)  # train: the data the DB-VAE resamples
    analysis = analyse_bias(
        model,
        images,
        bins=args.bins,
        alpha=args.alpha,
        combine=args.combine,
        batch_size=args.batch_size,
    )
    out = args.output or args.run / "bias"
    paths = write_bias_report(
        analysis, images, out, class_names=data.class_names, n=args.n, title=str(args.run)
    )
    print(f"analysed {len(images)} images ({analysis.population_name})")
    for name, path in paths.items():
        print(f"  {name}: {path}")
    return 0
