"""``latentforge latents RUN -o DIR``: how independent are the encoder's coordinates?

    latentforge latents runs/vae --data fashion-mnist --split test --ica 8 -o latents/

Encodes up to ``--max-images`` images and writes into DIR:

    correlation.png     heat map of the correlations between the encoder means
    latents.json        variances, active dimensions, total correlation (Gaussian, and for a
                        VAE the aggregate posterior's), k-NN total correlations of the codes,
                        their PCA whitening and the ICA sources, reconstruction error with the
                        codes passed through the ICA directions, and the traversal rows
    traversal.png       one row per latent dimension, ordered by effect
    ica-traversal.png   one row per ICA direction (source set to -R..R), ordered by effect

The traversals start from the code of ``--image`` or, by default, the mean code of the encoded
images. See ``latentforge.apps.independence`` for the estimates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from latentforge.apps.coordinates import latent_axes
from latentforge.apps.independence import independence_report, reconstruction_mse
from latentforge.apps.latent_codes import encode_set, take_images
from latentforge.apps.traversal import prior_span, traversal
from latentforge.cli.run_data import load_split
from latentforge.cli.run_loading import load_run_model
from latentforge.cli.traverse import (
    add_traversal_arguments,
    base_code,
    check_traversal_arguments,
    encoder_lacks,
)
from latentforge.models.capabilities import Encodes
from latentforge.utils.files import atomic_write_bytes, atomic_write_json
from latentforge.viz.grid import save_grid
from latentforge.viz.latent_plots import plot_correlation

RECONSTRUCTION_IMAGES = 1000


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "latents",
        help="correlation, total correlation and ICA directions of an autoencoder's codes",
    )
    parser.add_argument("run", type=Path, help="run directory or saved model folder")
    parser.add_argument(
        "--ica", type=int, default=None, help="ICA directions (default: one per active dimension)"
    )
    parser.add_argument(
        "--ica-seed", type=int, default=0, metavar="N", help="FastICA's random start"
    )
    add_traversal_arguments(parser, max_images=5000)
    parser.add_argument("-o", "--output", type=Path, default=Path("latents"), help="folder")
    parser.set_defaults(handler=run_latents)


@torch.no_grad()
def run_latents(args: argparse.Namespace) -> int:
    check_traversal_arguments(args)
    model, device = load_run_model(args, Encodes, encoder_lacks("latents"))
    image_set = load_split(args, model)
    encoded = encode_set(model, image_set, args.max_images, device=device)
    report = independence_report(encoded, args.ica, seed=args.ica_seed)
    ica = report.ica
    assert ica is not None
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "correlation.png", plot_correlation(report.correlation))

    base = base_code(args, model, device) if args.image is not None else encoded.means.mean(0)
    base = base.to(device)
    low, high = prior_span(model, args.range)
    axes = traversal(model, base, latent_axes(encoded.dim), low, high, args.steps, args.top)
    width = torch.full((ica.components,), args.range)
    independent = traversal(model, base, ica, -width, width, args.steps, args.top)
    for name, result in (("traversal.png", axes), ("ica-traversal.png", independent)):
        save_grid(result.grid_images(), out / name, nrow=args.steps)

    sample = take_images(image_set, torch.arange(min(RECONSTRUCTION_IMAGES, len(encoded))), device)
    numbers = dict(report.numbers)
    numbers["recon_mse"] = reconstruction_mse(model, sample)
    numbers["recon_mse_through_ica"] = reconstruction_mse(model, sample, ica)
    numbers["notes"] = report.notes
    numbers["traversal"] = axes.rows()
    numbers["ica_traversal"] = independent.rows()
    atomic_write_json(out / "latents.json", numbers)
    names = ("tc_gaussian", "tc_aggregate", "tc_knn_codes", "tc_knn_pca", "tc_knn_ica")
    shown = ", ".join(f"{name} {numbers[name]}" for name in names if name in numbers)
    print(f"encoded {len(encoded)} images; {numbers['active_dims']} active dimensions")
    print(f"total correlation (nats): {shown}")
    print(f"wrote correlation.png, latents.json, traversal.png and ica-traversal.png to {out}")
    return 0
