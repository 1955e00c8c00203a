"""Real-data features and their Gaussian statistics, computed once per (dataset, split,
extractor) and kept on disk:

    $LATENTFORGE_HOME/real-features/KEY/features.safetensors   features (N, D) [+ logits (N, K)]
                                         stats.safetensors      FeatureStats (mu, sigma, N)
                                         meta.json              what the key stands for

KEY = ``<dataset>--<split>--<extractor cache key>--n<N>-<fingerprint>``. The extractor's cache key
includes a digest of its weights, and the fingerprint is a SHA-256 of the very images used
(uint8 bytes and shape), so a retrained extractor, an edited file or another subset never reads
stale features. Nothing is pickled: safetensors and JSON only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
import torch

from latentforge.data.base import ImageSet
from latentforge.errors import LatentforgeError
from latentforge.metrics.features.base import FeatureExtractor, FeatureSet
from latentforge.metrics.frechet import FeatureStats
from latentforge.utils.cache import cache_dir
from latentforge.utils.files import atomic_write_json, replace_dir

CHUNK = 4096  # images per step when hashing or extracting


@dataclass
class RealFeatures:
    """Features of real images with their statistics; ``from_cache`` tells where they came from."""

    features: FeatureSet
    stats: FeatureStats
    key: str
    from_cache: bool = False


def image_batches(image_set: ImageSet, indices: torch.Tensor, batch_size: int):
    """Float images in [0, 1] of ``image_set[indices]``, ``batch_size`` at a time."""
    for start in range(0, len(indices), batch_size):
        images, _ = image_set.take(indices[start : start + batch_size])
        yield images.float().div_(255.0)


def fingerprint(image_set: ImageSet, indices: torch.Tensor) -> str:
    """SHA-256 of the uint8 pixels (and the shape) of ``image_set[indices]``."""
    digest = hashlib.sha256(f"{len(indices)}x{image_set.shape}".encode())
    for start in range(0, len(indices), CHUNK):
        images, _ = image_set.take(indices[start : start + CHUNK])
        digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "data"


class RealFeatureCache:
    """Cached real features under ``root`` (default ``$LATENTFORGE_HOME/real-features``);
    ``enabled=False`` computes every time and writes nothing."""

    def __init__(self, root: str | Path | None = None, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else cache_dir("real-features")
        self.enabled = enabled

    @staticmethod
    def key(dataset: str, split: str, extractor: FeatureExtractor, count: int, digest: str) -> str:
        parts = (_slug(dataset), _slug(split), _slug(extractor.cache_key))
        return "--".join(parts) + f"--n{count}-{digest[:16]}"

    def load(self, key: str) -> RealFeatures | None:
        """The cached entry, or None when absent or unreadable (it is then recomputed)."""
        folder = self.root / key
        if not self.enabled or not (folder / "meta.json").is_file():
            return None
        try:
            arrays = safetensors.numpy.load_file(str(folder / "features.safetensors"))
            stats = FeatureStats.load(folder / "stats.safetensors")
        except (LatentforgeError, OSError, safetensors.SafetensorError):
            return None
        if "features" not in arrays or stats.num_samples != len(arrays["features"]):
            return None
        return RealFeatures(FeatureSet(arrays["features"], arrays.get("logits")), stats, key, True)

    def save(self, key: str, features: FeatureSet, meta: dict[str, Any]) -> RealFeatures:
        """Statistics of ``features``, written (atomically, as a whole folder) when enabled."""
        stats = FeatureStats.from_features(features.features)
        if not self.enabled:
            return RealFeatures(features, stats, key)
        self.root.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-", dir=self.root))
        try:
            arrays = {"features": np.ascontiguousarray(features.features, dtype=np.float32)}
            if features.logits is not None:
                arrays["logits"] = np.ascontiguousarray(features.logits, dtype=np.float32)
            safetensors.numpy.save_file(arrays, str(staged / "features.safetensors"))
            stats.save(staged / "stats.safetensors")
            atomic_write_json(staged / "meta.json", {"key": key, **meta})
            replace_dir(staged, self.root / key)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        return RealFeatures(features, stats, key)

    def real_features(
        self,
        image_set: ImageSet,
        indices: torch.Tensor,
        extractor: FeatureExtractor,
        dataset: str,
        split: str,
        batch_size: int = 500,
        progress: bool = False,
    ) -> RealFeatures:
        """Features of ``image_set[indices]`` from the cache, or extracted and cached."""
        extractor.check_image_shape(image_set.shape)
        digest = fingerprint(image_set, indices)
        key = self.key(dataset, split, extractor, len(indices), digest)
        cached = self.load(key)
        if cached is not None:
            return cached
        features = extractor.extract(
            image_batches(image_set, indices, batch_size),
            total=len(indices),
            progress=progress,
            desc=f"real {split} features",
        )
        meta = {
            "dataset": dataset,
            "split": split,
            "extractor": extractor.name,
            "extractor_key": extractor.cache_key,
            "num_images": len(indices),
            "image_sha256": digest,
        }
        return self.save(key, features, meta)
