"""A small convolutional image classifier whose pooled activations serve as features.

    x in [0, 1] -> 2x - 1 -> [conv3x3 -> BN -> ReLU (-> maxpool 2)] per layer
      -> global average pool -> features (N, widths[-1]) -> dropout -> linear -> logits (N, K)

The pooled vector is what feature metrics compare (the role Inception's 2048-d pool3 plays for
FID); the logits give class predictions for mode coverage.
"""

from __future__ import annotations

import dataclasses

from torch import Tensor, nn

from latentforge.config import Config, require
from latentforge.nn.blocks import ConvBlock


@dataclasses.dataclass
class ClassifierConfig(Config):
    """Shape of :class:`ConvClassifier`: one 3x3 conv layer per entry of ``widths``, a 2x2 max
    pool after the layers listed in ``pool_after`` (0-based)."""

    in_channels: int = 1
    image_size: tuple[int, int] = (28, 28)
    num_classes: int = 10
    widths: tuple[int, ...] = (32, 64, 64, 128)
    pool_after: tuple[int, ...] = (0, 2)
    dropout: float = 0.3

    def __post_init__(self) -> None:
        require(self.in_channels >= 1, f"in_channels must be >= 1, got {self.in_channels}")
        require(
            len(self.image_size) == 2 and min(self.image_size) >= 1,
            f"image_size must be two positive ints, got {self.image_size}",
        )
        require(self.num_classes >= 2, f"num_classes must be >= 2, got {self.num_classes}")
        require(
            len(self.widths) >= 1 and min(self.widths) >= 1,
            f"widths must be positive ints, got {self.widths}",
        )
        require(
            all(0 <= i < len(self.widths) for i in self.pool_after),
            f"pool_after must index layers 0..{len(self.widths) - 1}, got {self.pool_after}",
        )
        require(0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def feature_dim(self) -> int:
        return self.widths[-1]


class ConvClassifier(nn.Module):
    """Images ``(N, C, H, W)`` in [0, 1] -> logits ``(N, num_classes)``; ``features`` gives the
    pooled ``(N, widths[-1])`` activations before the linear head."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        previous = config.in_channels
        for index, width in enumerate(config.widths):
            layers.append(ConvBlock(previous, width, 3, norm="batch", activation="relu"))
            if index in config.pool_after:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            previous = width
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(previous, config.num_classes)

    def features(self, images: Tensor) -> Tensor:
        """Globally pooled activations ``(N, widths[-1])``."""
        maps = self.body(images * 2.0 - 1.0)  # (N, widths[-1], h, w)
        return maps.mean(dim=(2, 3))

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features = self.features(images)
        return features, self.head(self.dropout(features))

    def forward(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[1]
