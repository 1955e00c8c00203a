"""Train the Fashion-MNIST feature classifier shipped with latentforge and write its card.

    flock /tmp/latentforge-cpu.lock python benchmarks/train_feature_classifier.py \
        --data ../shared/datasets/fashion-mnist.npz

Trains on the 60,000 train images (no validation split: the recipe is fixed in advance),
measures the accuracy on the 10,000 test images once at the end, and writes
``src/latentforge/metrics/assets/fashion_mnist_classifier.{safetensors,json}``. Prints JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from _data import FASHION_MNIST, add_data_options, dataset_file
from latentforge.data import load_data
from latentforge.data.mnist_sets import FASHION_MNIST_CLASSES
from latentforge.metrics.features.classifier import SHIPPED_NAME, save_classifier
from latentforge.metrics.features.training import (
    ClassifierTraining,
    classifier_accuracy,
    train_classifier,
)
from latentforge.nn.classifier import ClassifierConfig
from latentforge.utils.weights import file_sha256

ASSETS = Path(__file__).resolve().parents[1] / "src" / "latentforge" / "metrics" / "assets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-images", type=int, default=None, help="use only the first N")
    parser.add_argument("--out", type=Path, default=ASSETS)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    data = load_data(args.data, val_fraction=0.0, seed=args.seed)
    train_set = data.train
    if args.train_images is not None:
        train_set = train_set.subset(torch.arange(min(args.train_images, len(train_set))))
    options = ClassifierTraining(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        shift=2,
        flip=True,  # clothes are left-right symmetric
        seed=args.seed,
        progress=not args.no_progress,
    )
    config = ClassifierConfig(in_channels=1, image_size=(28, 28), num_classes=10)
    start = time.perf_counter()
    model, history = train_classifier(train_set, config, options)
    seconds = time.perf_counter() - start
    test_accuracy = classifier_accuracy(model, data.test)
    command = (
        # the data are named by their checksum below, not by this machine's path
        "flock /tmp/latentforge-cpu.lock python benchmarks/train_feature_classifier.py "
        f"--epochs {args.epochs} --batch-size {args.batch_size} "
        f"--lr {args.lr} --seed {args.seed}"
    )
    card = {
        "dataset": "Fashion-MNIST",
        "dataset_sha256": file_sha256(args.data),
        "class_names": list(FASHION_MNIST_CLASSES),
        "train_images": len(train_set),
        "test_images": len(data.test),
        "test_accuracy": round(test_accuracy, 4),
        "features": f"{config.feature_dim}-d global average pool before the linear head",
        "training": {**dataclasses.asdict(options), "progress": False},
        "history": history,
        "train_seconds": round(seconds, 1),
        "hardware": f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
        "command": command,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / f"{SHIPPED_NAME}.safetensors"
    saved = save_classifier(model, weights, args.out / f"{SHIPPED_NAME}.json", card)
    result = {
        "test_accuracy": test_accuracy,
        "train_seconds": seconds,
        "weights": str(weights),
        "weights_bytes": weights.stat().st_size,
        "weights_sha256": saved["weights_sha256"],
        "history": history,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
