"""Which Fashion-MNIST classes do trained GANs make? Prints JSON.

    flock /tmp/latentforge-cpu.lock python benchmarks/gan_class_coverage.py \
        /tmp/bench-gan-10ep/dcgan /tmp/bench-gan-wgan-gp/wgan-gp

Trains a small CNN classifier on the 60,000 training images (a couple of epochs; its test
accuracy is reported), classifies ``--samples`` images from each run's newest checkpoint and
reports the class histogram, the mode coverage (``latentforge.metrics.modes``: a class counts
when it gets at least 1% of the samples), the classifier's mean confidence on the samples and
on real test images, and the diversity ratio of 1,000 samples against 1,000 test images.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch import nn

from _classifier import fit_classifier
from _data import FASHION_MNIST, add_data_options, dataset_file
from latentforge.data import load_data
from latentforge.metrics.diversity import diversity_ratio
from latentforge.metrics.modes import mode_coverage
from latentforge.training.checkpoint import load_model


def classifier() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 7
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def as_float(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 255.0


def train_classifier(train, epochs: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return fit_classifier(classifier(), train.images, train.labels, epochs, seed, 128, lr=1e-3)


@torch.no_grad()
def probabilities(net: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([net(images[i : i + 500]).softmax(1) for i in range(0, len(images), 500)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    add_data_options(parser, FASHION_MNIST)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.data = dataset_file(args, FASHION_MNIST)

    data = load_data(args.data, val_fraction=0.0, seed=args.seed)
    net = train_classifier(data.train, args.classifier_epochs, args.seed)
    test_images = as_float(data.test.images)
    test_probs = probabilities(net, test_images)
    results = {
        "classifier_test_accuracy": (test_probs.argmax(1) == data.test.labels)
        .float()
        .mean()
        .item(),
        "classifier_confidence_on_test": test_probs.max(1).values.mean().item(),
        "class_names": data.class_names,
        "runs": {},
    }
    for run in args.runs:
        model = load_model(run)
        samples = model.sample(args.samples, generator=torch.Generator().manual_seed(args.seed))
        probs = probabilities(net, samples)
        coverage = mode_coverage(probs.numpy(), num_classes=10, min_share=0.01)
        results["runs"][str(run)] = {
            "model_type": model.model_type,
            **coverage,
            "confidence_on_samples": probs.max(1).values.mean().item(),
            "diversity_vs_test": diversity_ratio(
                samples[:1000] * 2 - 1, test_images[:1000] * 2 - 1, max_images=1000
            ).item(),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
