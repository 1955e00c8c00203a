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
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from latentforge.metrics.frechet import frechet_distance_from_features
from latentforge.metrics.image_quality import per_image_psnr, per_image_ssim
from latentforge.steps.train_config import TrainConfig
from latentforge.training.distributed import DistContext
from latentforge.training.engine import Trainer


def bench_train_config(steps: int, batch_size: int, seed: int = 0) -> TrainConfig:
    return TrainConfig(
        epochs=10**6,
        max_steps=steps,
        batch_size=batch_size,
        seed=seed,
        device="cpu",
        log_every=50,
        progress=False,
        tensorboard=False,
        num_workers=0,
    )


def fit(model, data, steps: int, batch_size: int, run_dir: Path, seed: int = 0) -> float:
    """Train ``model`` for ``steps`` engine cycles; the wall time in seconds."""
    start = time.perf_counter()
    Trainer(model, data, bench_train_config(steps, batch_size, seed), run_dir, DistContext()).fit()
    return time.perf_counter() - start


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
    classes = int(labels.max()) + 1
    net = FeatureNet(images.shape[1], classes, pool=pool)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            loss = F.cross_entropy(net(images[idx].float() / 255), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.eval()


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
