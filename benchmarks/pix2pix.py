"""pix2pix against the same U-Net trained on L1 alone, on edges2fashion. Prints JSON.

    flock /tmp/latentforge-cpu.lock nice python benchmarks/pix2pix.py \
        --steps 3000 --grid docs/images/pix2pix-edges2fashion.png

Trains two runs with the engine (``latentforge.training.run.train``), same seed, data, batch,
steps and networks: ``pix2pix`` (non-saturating GAN loss + 100 L1, PatchGAN) and the L1-only
baseline (``--gan-weight 0``: no discriminator). Then, on the test pairs of edges2fashion
(Sobel edges -> the 10,000 Fashion-MNIST test items; ``--test-images`` of them):

- L1, PSNR and SSIM of the translations against the true items (``latentforge.metrics``);
- the Frechet distance between translations and true items in the 128-d penultimate layer of
  a small CNN classifier trained here on the 60,000 training items (the classifier of
  ``benchmarks/gan_class_coverage.py``; the project has no pretrained feature extractor),
  with the distance between two halves of the real test items as the sampling floor;
- the classifier's accuracy on the translations (does an item keep its class?).

Timing: the wall-clock time of each training run (data loading included) and its training
throughput (mean of the logged images per second), on this machine's CPU threads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _data import add_data_options, data_dir
from gan_class_coverage import as_float, train_classifier
from latentforge.data import load_data
from latentforge.data.pairs import split_pair
from latentforge.metrics import frechet_distance_from_features, per_image_psnr, per_image_ssim
from latentforge.training.checkpoint import load_model
from latentforge.viz.grid import interleave_groups, save_grid
from translation_bench import features_and_logits, mean_throughput, train_run, translate_all

NETWORKS = {"g_channels": (32, 64, 128, 128), "d_channels": (32, 64)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--out", type=Path, default=Path("/tmp/lf-bench-pix2pix"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--test-images", type=int, default=10000)
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write sources / L1-only / pix2pix / targets")
    args = parser.parse_args()
    args.data_dir = data_dir(args)

    runs = {}
    for name, options in (("l1_only", {"gan_weight": 0.0}), ("pix2pix", {})):
        run_dir = args.out / name
        seconds = train_run(
            "pix2pix",
            "edges2fashion",
            {**NETWORKS, **options},
            run_dir,
            args.data_dir,
            args.steps,
            args.batch_size,
            args.seed,
        )
        runs[name] = (run_dir, seconds)
    fashion = load_data(args.data_dir / "fashion-mnist.npz", val_fraction=0.0, seed=args.seed)
    classifier = train_classifier(fashion.train, args.classifier_epochs, args.seed)
    test = load_data("edges2fashion", data_dir=args.data_dir, val_fraction=0.0).test
    pairs = as_float(test.images[: args.test_images])
    labels = test.labels[: args.test_images]
    sources, targets = split_pair(pairs)
    real_features, real_logits = features_and_logits(classifier, targets)
    half = len(targets) // 2
    results = {
        "test_images": len(targets),
        "steps": args.steps,
        "batch_size": args.batch_size,
        "networks": NETWORKS,
        "classifier_test_accuracy": (real_logits.argmax(1) == labels).float().mean().item(),
        "frechet_floor_real_half_vs_half": frechet_distance_from_features(
            real_features[:half], real_features[half:]
        ),
        "runs": {},
    }
    shown = [sources[:16]]
    for name, (run_dir, seconds) in runs.items():
        model = load_model(run_dir)
        outputs = translate_all(model, sources)
        shown.append(outputs[:16])
        features, logits = features_and_logits(classifier, outputs)
        results["runs"][name] = {
            "train_seconds": seconds,
            "train_images_per_s": mean_throughput(run_dir),
            "l1": (outputs - targets).abs().mean().item(),
            "psnr": per_image_psnr(outputs, targets).mean().item(),
            "ssim": per_image_ssim(outputs, targets).mean().item(),
            "frechet_distance": frechet_distance_from_features(features, real_features),
            "class_accuracy": (logits.argmax(1) == labels).float().mean().item(),
        }
    if args.grid is not None:
        save_grid(
            interleave_groups([*shown, targets[:16]], per_row=16), args.grid, nrow=16, scale=2
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
