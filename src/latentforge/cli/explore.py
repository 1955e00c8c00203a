"""``latentforge explore RUN [RUN ...]``: a live latent explorer in the browser.

    latentforge explore runs/demo
    latentforge explore runs/vae runs/beta-vae --data test --port 8001 --open

Serves only the runs named here, on 127.0.0.1 unless ``--host`` says otherwise. See
``docs/guides/explorer.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from latentforge.training.distributed import resolve_device


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "explore", help="explore trained runs in the browser: samples, sliders, latent map"
    )
    parser.add_argument(
        "runs", type=Path, nargs="+", metavar="RUN", help="run directories or saved model folders"
    )
    parser.add_argument(
        "--data",
        default=None,
        metavar="SPLIT-OR-SPEC",
        help="a split of the run's data (train, val, test) or another dataset (default: the "
        "run's own data, its test split, else val, else train)",
    )
    parser.add_argument("--data-dir", default=None, metavar="PATH", help="where full datasets live")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
        "machine only; anything else is reachable from the network)"
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--open",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="open the page in the default browser (default: --no-open)",
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    parser.set_defaults(handler=run_explore)


def run_explore(args: argparse.Namespace) -> int:
    from latentforge.explorer.server import load_runs, serve  # the web stack only when asked

    runs = load_runs(args.runs, args.data, args.data_dir, resolve_device(args.device))
    serve(runs, args.host, args.port, args.open)
    return 0
