"""Progressive GAN against DCGAN on Fashion-MNIST at 32x32, both shown the same number of real
images; Frechet distance and training time. Prints JSON.

    flock /tmp/latentforge-cpu.lock nice python benchmarks/progan.py --stage-images 9000 \
        --out /tmp/progan-bench --grid-dir docs/images --json /tmp/progan-bench.json

The ProGAN schedule decides the budget: S stages (4 at 32x32: 4x4 .. 32x32) take
(2S - 1) * --stage-images real images (the last stage fades in and stabilises once); both
models train for that many discriminator steps of --batch-size real images (one critic step per
generator step for both) through the engine, as ``latentforge train`` does.

Features for the Frechet distance come from a small CNN classifier trained here on the 32x32
training images (``benchmarks/frechet_features.py``; its test accuracy is reported); the
reference statistics are those of the 10,000 test images, and the distance of as many training
images as samples to them is reported as the floor a perfect generator would reach.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from _runs import cpu_train_config, print_json, rate_records
from frechet_features import features, train_feature_classifier
from latentforge.data import load_data
from latentforge.metrics import FeatureStats, frechet_distance
from latentforge.models import MODELS, ProGANConfig
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.training.run import DataConfig, RunConfig, train
from latentforge.utils.run_logs import read_warnings
from latentforge.viz.grid import make_grid, save_image

LOG_EVERY = 25


def frechet_to(stats: FeatureStats, net, images: torch.Tensor) -> float:
    return frechet_distance(FeatureStats.from_features(features(net, images).numpy()), stats)


@torch.no_grad()
def samples_of(model, n: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.cat([model.sample(min(500, n - i), generator) for i in range(0, n, 500)])


def run_model(
    name: str, options: dict[str, Any], data: DataConfig, train_cfg: TrainConfig, run_dir: Path
) -> dict[str, Any]:
    start = time.perf_counter()
    train(RunConfig(name, options, data, train_cfg), run_dir, overwrite=True)
    seconds = time.perf_counter() - start
    rates = [r["images_per_s"] for r in rate_records(run_dir)][1:]
    model = load_model(run_dir)
    return {
        "model": model,
        "train_seconds": seconds,
        "images_per_s": sum(rates) / max(len(rates), 1),
        "generator_parameters": sum(p.numel() for p in model.generator.parameters()),
        "discriminator_parameters": sum(p.numel() for p in model.discriminator.parameters()),
        "health_warnings": sorted({w["kind"] for w in read_warnings(run_dir)}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--stage-images", type=int, default=9000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--progan", type=json.loads, default={}, help="ProGAN options (JSON)")
    parser.add_argument("--dcgan", type=json.loads, default={}, help="DCGAN options (JSON)")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--classifier-epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/progan-bench"))
    parser.add_argument("--grid-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    size = (args.image_size, args.image_size)
    real = load_data(args.data, image_size=size, val_fraction=0.0, seed=args.seed)
    start = time.perf_counter()
    net, accuracy = train_feature_classifier(real.train, real.test, args.classifier_epochs)
    test_stats = FeatureStats.from_features(features(net, real.test.images).numpy())
    results: dict[str, Any] = {
        "device": f"cpu ({platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads)",
        "data": f"{args.data.name} at {args.image_size}x{args.image_size}",
        "classifier_test_accuracy": accuracy,
        "classifier_seconds": time.perf_counter() - start,
        "frechet_train_vs_test": frechet_to(test_stats, net, real.train.images[: args.samples]),
        "samples": args.samples,
    }

    progan_options = {"stage_images": args.stage_images, **args.progan}
    stages = ProGANConfig(image_size=size, **progan_options).stages
    images = (2 * stages - 1) * args.stage_images
    steps = math.ceil(images / args.batch_size)
    results.update(stages=stages, images_seen=steps * args.batch_size, steps=steps)
    data = DataConfig(str(args.data), image_size=size, val_fraction=0.0)
    train_cfg = cpu_train_config(
        epochs=10_000, max_steps=steps, batch_size=args.batch_size, seed=args.seed,
        log_every=LOG_EVERY, keep_checkpoints=1,
    )  # fmt: skip
    for name, options in (("progan", progan_options), ("dcgan", args.dcgan)):
        run_dir = args.out / name
        entry = run_model(name, options, data, train_cfg, run_dir)
        model = entry.pop("model")
        samples = samples_of(model, args.samples, args.seed)
        entry["frechet"] = frechet_to(test_stats, net, samples)
        entry["options"] = {**MODELS.get(name).config_class().to_dict(), **options}
        for key in ("in_channels", "image_size"):
            entry["options"].pop(key)
        results[name] = entry
        if args.grid_dir is not None:
            args.grid_dir.mkdir(parents=True, exist_ok=True)
            save_image(make_grid(samples[:64], nrow=8), args.grid_dir / f"progan-bench-{name}.png")
            for grid in sorted((run_dir / "images" / "stages").glob("*.png")):
                shutil.copy(grid, args.grid_dir / f"progan-fashion-mnist-{grid.name}")
    print_json(results, args.json)


if __name__ == "__main__":
    main()
