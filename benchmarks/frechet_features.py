"""Features for Frechet distances without downloaded weights: a small CNN classifier trained on
the real training images (any size, any channel count); its 128-wide penultimate layer is the
feature vector (in the spirit of FID, Heusel et al. 2017, https://arxiv.org/abs/1706.08500,
with a task-specific network instead of Inception).

    net, accuracy = train_feature_classifier(train_set, test_set, epochs=1, seed=0)
    stats = FeatureStats.from_features(features(net, images_in_0_1))
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from _classifier import fit_classifier

FEATURE_DIM = 128


class FeatureClassifier(nn.Module):
    """Three 3x3 conv + ReLU + 2x2 max-pool stages (32, 64, 128 maps), a 4x4 adaptive average
    pool, then ``FEATURE_DIM`` features (ReLU) and the class logits."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in ((in_channels, 32), (32, 64), (64, 128)):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.features = nn.Sequential(nn.Linear(128 * 16, FEATURE_DIM), nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def embed(self, images: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` in [0, 1] -> features ``(N, FEATURE_DIM)``."""
        return self.features(self.body(images * 2.0 - 1.0))

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.embed(images))


def _as_float(images: Tensor) -> Tensor:
    return images.float() / 255.0 if images.dtype == torch.uint8 else images.float()


def train_feature_classifier(
    train, test, epochs: int = 1, seed: int = 0, batch_size: int = 128
) -> tuple[FeatureClassifier, float]:
    """Train on ``train`` (an image set with labels), return the network (eval mode) and its
    accuracy on ``test``."""
    torch.manual_seed(seed)
    images, labels = train.images, train.labels
    net = FeatureClassifier(images.shape[1], int(labels.max()) + 1)
    fit_classifier(net, images, labels, epochs, seed, batch_size, lr=1e-3)
    with torch.no_grad():
        predictions = torch.cat(
            [net(_as_float(test.images[i : i + 500])).argmax(1) for i in range(0, len(test), 500)]
        )
    return net, (predictions == test.labels).float().mean().item()


@torch.no_grad()
def features(net: FeatureClassifier, images: Tensor, batch: int = 500) -> Tensor:
    """``(N, FEATURE_DIM)`` features of images (uint8, or float in [0, 1])."""
    return torch.cat(
        [net.embed(_as_float(images[i : i + batch])) for i in range(0, len(images), batch)]
    )
