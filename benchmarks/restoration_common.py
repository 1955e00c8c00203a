"""What the super-resolution and inpainting benchmarks share: runs through the library's
engine, paired quality numbers, and a small classifier whose features give a Frechet distance.

The Frechet features: a small CNN (for large images an average pooling first; conv 32 and
conv 64, each followed by 2x2 max pooling; global average pooling; a 64-unit layer) trained
for a few epochs to classify the training split (Fashion-MNIST classes, or the 35 training
subjects of the ORL faces); its 64 penultimate activations are the features. Reported
numbers are only comparable within one table.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from _classifier import fit_classifier
from _runs import cpu_train_config
from latentforge.metrics.frechet import frechet_distance_from_features
from latentforge.metrics.image_quality import per_image_psnr, per_image_ssim
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer


def bench_train_config(steps: int, batch_size: int, seed: int = 0) -> TrainConfig:
    return cpu_train_config(
        epochs=10**6, max_steps=steps, batch_size=batch_size, seed=seed, log_every=50
    )


def fit(model, data, steps: int, batch_size: int, run_dir: Path, seed: int = 0) -> float:
    """Train ``model`` for ``steps`` engine cycles; the wall time in seconds."""
    start = time.perf_counter()
    Trainer(model, data, bench_train_config(steps, batch_size, seed), run_dir, DistContext()).fit()
    return time.perf_counter() - start


def pretrain_then_fine_tune(
    make_base: Callable[[], nn.Module],
    variants: dict[str, Callable[[], nn.Module]],
    data,
    pretrain_steps: int,
    steps: int,
    batch_size: int,
    seed: int,
) -> tuple[nn.Module, dict[str, nn.Module], dict[str, float]]:
    """Build the base model under torch seed ``seed`` and train it ``pretrain_steps`` cycles;
    then build each variant, load the base's generator into it and train it ``steps`` cycles
    (torch seed ``seed + 1``, engine seed 1). Returns the base, the variants by name and the
    seconds each training took (the base's under "pretrain")."""
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(seed)
        base = make_base()
        times["pretrain"] = fit(base, data, pretrain_steps, batch_size, Path(tmp) / "p")
        models = {name: make() for name, make in variants.items()}
        for name, model in models.items():
            torch.manual_seed(seed + 1)
            model.generator.load_state_dict(base.generator.state_dict())
            times[name] = fit(model, data, steps, batch_size, Path(tmp) / name, 1)
    return base, models, times


def quality(pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """Mean per-image PSNR (dB) and SSIM of images in [0, 1]."""
    return {
        "psnr": per_image_psnr(pred, target).clamp_max(100).mean().item(),
        "ssim": per_image_ssim(pred, target).mean().item(),
    }


class FeatureNet(nn.Module):
    def __init__(self, channels: int, classes: int, width: int = 64, pool: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.AvgPool2d(pool) if pool > 1 else nn.Identity(),
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, width), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_feature_net(
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    seed: int = 0,
    batch: int = 64,
    pool: int = 1,
) -> FeatureNet:
    """A classifier of uint8 ``images`` (N, C, H, W) into ``labels`` (after ``pool`` x ``pool``
    average pooling, for large images); returns it in eval mode."""
    torch.manual_seed(seed)
    net = FeatureNet(images.shape[1], int(labels.max()) + 1, pool=pool)
    return fit_classifier(net, images, labels, epochs, seed, batch, lr=2e-3)


@torch.no_grad()
def features(net: FeatureNet, images: torch.Tensor) -> torch.Tensor:
    """Penultimate activations of images in [0, 1]."""
    return torch.cat([net.body(images[i : i + 500]) for i in range(0, len(images), 500)])


@torch.no_grad()
def accuracy(net: FeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    logits = torch.cat([net(images[i : i + 500]) for i in range(0, len(images), 500)])
    return (logits.argmax(1) == labels).float().mean().item()


def frechet(net: FeatureNet, pred: torch.Tensor, target: torch.Tensor) -> float:
    return frechet_distance_from_features(
        features(net, target).numpy(), features(net, pred).numpy()
    )


def rounded(values: dict, digits: int = 4) -> dict:
    return {
        k: (round(v, digits) if isinstance(v, float) and math.isfinite(v) else v)
        for k, v in values.items()
    }
