"""The feature-extractor interface: images in [0, 1] -> an (N, D) feature matrix (and class
logits when the extractor is a classifier).

Any network with ``features_and_logits(images) -> (features (N, D), logits (N, K) or None)``
becomes an extractor by wrapping it in :class:`FeatureExtractor`; the registry in
:mod:`latentforge.evaluation.feature_extractors` finds extractors by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

from latentforge.errors import ConfigError, ShapeError

FIT_HINT = (
    "train an extractor on your data with `latentforge features fit --data DATA --out NAME` "
    "and pass --features NAME"
)


class FeatureNetwork(Protocol):
    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Images (N, C, H, W) in [0, 1] -> features (N, D) and logits (N, K) or None."""
        ...


@dataclass
class FeatureSet:
    """Features ``(N, D)`` float32 and, from a classifier, logits ``(N, K)``."""

    features: np.ndarray
    logits: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.features.shape[0])


def gray_to_rgb(images: Tensor) -> Tensor:
    """(N, 1, H, W) -> (N, 3, H, W), the grey value repeated."""
    return images.expand(-1, 3, -1, -1)


def rgb_to_gray(images: Tensor) -> Tensor:
    """(N, 3, H, W) -> (N, 1, H, W) with ITU-R 601-2 luma L = 0.299 R + 0.587 G + 0.114 B."""
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype, device=images.device)
    return (images * weights.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)


def match_channels(images: Tensor, channels: int) -> Tensor:
    """Convert float images between 1 (grey) and 3 (RGB) channels; other counts are refused."""
    have = images.shape[1]
    if have == channels:
        return images
    if {have, channels} == {1, 3}:
        return gray_to_rgb(images) if channels == 3 else rgb_to_gray(images)
    raise ShapeError(f"cannot convert {have}-channel images to {channels} channels; {FIT_HINT}")


class FeatureExtractor:
    """A fixed network that maps images in [0, 1] to features (and logits, for a classifier).

    Args:
        name: the name users pass as ``--features``.
        network: an ``nn.Module`` with ``features_and_logits``; it is put in eval mode.
        feature_dim: D, the width of the features.
        cache_key: identifies the weights (name plus a digest): cached real-data features are
            stored under it, so retrained weights never reuse stale statistics.
        input_shape: (C, H, W) the network needs; grey and RGB are converted into each other,
            other sizes are refused with a hint. ``None``: the network adapts any size itself.
        num_classes: K when the network is a classifier (enables mode coverage), else None.
        class_names: names of the K classes, when known.
    """

    def __init__(
        self,
        name: str,
        network: nn.Module,
        feature_dim: int,
        cache_key: str,
        input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None,
        class_names: list[str] | None = None,
        description: str = "",
    ) -> None:
        self.name = name
        self.network = network.eval()
        for parameter in self.network.parameters():
            parameter.requires_grad_(False)
        self.feature_dim = int(feature_dim)
        self.cache_key = cache_key
        self.input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        self.num_classes = num_classes
        self.class_names = class_names
        self.description = description

    @property
    def is_classifier(self) -> bool:
        return self.num_classes is not None

    @property
    def device(self) -> torch.device:
        parameter = next(self.network.parameters(), None)
        return parameter.device if parameter is not None else torch.device("cpu")

    def to(self, device: str | torch.device) -> FeatureExtractor:
        self.network.to(device)
        return self

    def check_image_shape(self, shape: tuple[int, ...]) -> None:
        """Raise a :class:`ShapeError` naming the fix unless images of ``shape`` (C, H, W) fit."""
        if len(shape) != 3:
            raise ShapeError(f"images must be (N, C, H, W), got per-image shape {tuple(shape)}")
        channels, height, width = shape
        if self.input_shape is None:
            if channels not in (1, 3):
                raise ShapeError(
                    f"the {self.name} extractor takes grey or RGB images, got {channels} "
                    f"channels; {FIT_HINT}"
                )
            return
        want_c, want_h, want_w = self.input_shape
        if (height, width) != (want_h, want_w) or (
            channels != want_c and {channels, want_c} != {1, 3}
        ):
            raise ShapeError(
                f"the {self.name} extractor was trained on {want_c}x{want_h}x{want_w} images, "
                f"these are {channels}x{height}x{width}; {FIT_HINT} (or use --features inception)"
            )

    def prepare(self, images: Tensor) -> Tensor:
        """Images on the extractor's device, converted to its channel count."""
        if images.ndim != 4:
            raise ShapeError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
        self.check_image_shape(tuple(images.shape[1:]))
        images = images.to(self.device, torch.float32)
        if self.input_shape is not None:
            images = match_channels(images, self.input_shape[0])
        return images

    @torch.no_grad()
    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features (N, D) and logits (N, K) (None unless a classifier) of images in [0, 1]."""
        features, logits = self.network.features_and_logits(self.prepare(images))
        if features.shape != (images.shape[0], self.feature_dim):
            raise ShapeError(
                f"the {self.name} network gave features of shape {tuple(features.shape)}, "
                f"expected ({images.shape[0]}, {self.feature_dim})"
            )
        return features.float(), None if logits is None else logits.float()

    def __call__(self, images: Tensor) -> Tensor:
        """Features (N, D) of images (N, C, H, W) in [0, 1]."""
        return self.features_and_logits(images)[0]

    def logits(self, images: Tensor) -> Tensor:
        """Class logits (N, K); only for classifier extractors."""
        if not self.is_classifier:
            raise ConfigError(f"the {self.name} extractor is not a classifier: it has no logits")
        logits = self.features_and_logits(images)[1]
        assert logits is not None
        return logits

    def extract(
        self,
        batches: Iterable[Tensor],
        total: int | None = None,
        progress: bool = False,
        desc: str = "features",
    ) -> FeatureSet:
        """Features (and logits) of every batch of images, stacked into NumPy arrays."""
        features, logits = [], []
        bar = tqdm(total=total, desc=desc, unit="img", leave=False, disable=not progress)
        with bar:
            for images in batches:
                feats, logs = self.features_and_logits(images)
                features.append(feats.cpu().numpy())
                if logs is not None:
                    logits.append(logs.cpu().numpy())
                bar.update(images.shape[0])
        if not features:
            raise ShapeError(f"no images to extract {self.name} features from")
        stacked = np.concatenate(features).astype(np.float32, copy=False)
        return FeatureSet(stacked, np.concatenate(logits) if logits else None)

    def __repr__(self) -> str:
        kind = f"classifier of {self.num_classes} classes" if self.is_classifier else "features"
        return f"FeatureExtractor({self.name!r}, {self.feature_dim}-d, {kind})"
