"""How long the feature metrics take for 10k real vs 10k generated features on this machine.

    flock /tmp/latentforge-cpu.lock python benchmarks/metric_timing.py \
        --data ../shared/datasets/fashion-mnist.npz

Features: the shipped classifier's 128-d features of 10,000 Fashion-MNIST train images ("real")
and the 10,000 test images (standing in for generated ones), so the numbers are those of a real
evaluation. ``--random-dim 2048`` also times Gaussian features of Inception's width. Prints JSON:
seconds for feature extraction, the Frechet distance (statistics of both sets + the distance),
KID (100 subsets of 1000) and precision/recall/density/coverage, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from latentforge.data import load_data
from latentforge.evaluation.feature_extractors import load_feature_extractor
from latentforge.metrics import (
    FeatureStats,
    frechet_distance,
    kernel_inception_distance,
    precision_recall_density_coverage,
)
from latentforge.metrics.features.cache import image_batches


def best_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def time_metrics(real: np.ndarray, fake: np.ndarray, repeats: int) -> dict[str, float]:
    def fid() -> float:
        return frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(fake))

    timings = {
        "frechet_s": best_time(fid, repeats),
        "kid_s": best_time(lambda: kernel_inception_distance(real, fake), repeats),
        "prdc_s": best_time(lambda: precision_recall_density_coverage(real, fake), repeats),
    }
    timings["total_s"] = sum(timings.values())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--random-dim", type=int, default=None)
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    data = load_data(args.data, val_fraction=0.0)
    extractor = load_feature_extractor("classifier")
    indices = torch.arange(args.n)
    start = time.perf_counter()
    real = extractor.extract(image_batches(data.train, indices, 500)).features
    extract_s = time.perf_counter() - start
    fake = extractor.extract(image_batches(data.test, indices, 500)).features
    result = {
        "n_real": len(real),
        "n_fake": len(fake),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch threads "
        f"{torch.get_num_threads()}, torch {torch.__version__}",
        "classifier_features": {
            "dim": int(real.shape[1]),
            "extract_10k_images_s": extract_s,
            **time_metrics(real, fake, args.repeats),
        },
    }
    if args.random_dim:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((args.n, args.random_dim)).astype(np.float32)
        b = rng.standard_normal((args.n, args.random_dim)).astype(np.float32)
        result[f"gaussian_{args.random_dim}d"] = {
            "dim": args.random_dim,
            **time_metrics(a, b, args.repeats),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
