"""Denoising benchmark on Fashion-MNIST: PSNR and SSIM of the noisy input and of the output.

For each model (ae, vae) and each sigma, one denoiser is trained on the 60,000 training images
with Gaussian noise of that sigma (``--noise gaussian:SIGMA``: x~ = clip(x + sigma eps, 0, 1))
and clean targets, then the 10,000 test images are corrupted with a fixed seed and denoised.
Prints one JSON record per (model, sigma) and writes a grid per pair (rows: noisy, denoised,
clean) into ``--images``.

    flock /tmp/latentforge-cpu.lock env PYTHONPATH=src python benchmarks/denoising.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import train_model
from latentforge.apps.denoising import evaluate_denoising
from latentforge.data import load_data
from latentforge.data.corruption import GaussianNoise
from latentforge.viz.grid import interleave_groups, save_grid

EVAL_SEED = 2024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--models", default="ae,vae")
    parser.add_argument("--sigmas", default="0.1,0.3,0.5")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--hidden-channels", default="32,64,128")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--beta", type=float, default=1.0, help="the vae's KL weight")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=Path("/tmp/latentforge-bench/denoising"))
    parser.add_argument("--images", type=Path, default=Path("docs/images"))
    parser.add_argument("--test-limit", type=int, default=None, help="score fewer test images")
    args = parser.parse_args(argv)
    args.data = dataset_file(args, FASHION_MNIST)
    torch.set_num_threads(args.threads)
    test = load_data(args.data, val_fraction=0.0).split("test")
    n = len(test) if args.test_limit is None else min(args.test_limit, len(test))
    clean = test.take(torch.arange(n))[0].float().div(255.0)
    hidden = tuple(int(c) for c in args.hidden_channels.split(","))
    for model_type in args.models.split(","):
        options = {"latent_dim": args.latent_dim, "hidden_channels": hidden}
        name = model_type
        if model_type == "vae":
            options["beta"] = args.beta
            name = "vae" if args.beta == 1.0 else f"vae-beta{args.beta:g}"
        for sigma in (float(s) for s in args.sigmas.split(",")):
            model, seconds = train_model(
                model_type,
                options,
                {"spec": str(args.data), "val_fraction": 0.0, "noise": f"gaussian:{sigma:g}"},
                {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr},
                args.runs / f"{name}-sigma{sigma:g}",
            )
            generator = torch.Generator().manual_seed(EVAL_SEED)
            result = evaluate_denoising(model, clean, GaussianNoise(sigma), generator)
            shown = [result.noisy[:16], result.denoised[:16], clean[:16]]
            save_grid(
                interleave_groups(shown, 8),
                args.images / f"denoising-{name}-sigma{sigma:g}.png",
                nrow=8,
                scale=2,
            )
            record = {
                "model": model_type,
                "sigma": sigma,
                **options,
                "epochs": args.epochs,
                "train_seconds": round(seconds, 1),
                "test_images": n,
                **{k: round(v, 4) for k, v in result.metrics().items()},
            }
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
