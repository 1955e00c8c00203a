"""Features for judging samples: a pluggable function from images to feature vectors.

A :data:`FeatureFunction` maps images ``(N, C, H, W)`` in [0, 1] to features ``(N, F)``; the
Frechet distance between the features of samples and of real images measures sample quality
(Heusel et al. 2017, https://arxiv.org/abs/1706.08500, with Inception features there).

Choices, by name:

* ``pixels``: the top principal components of the real images' pixels (:class:`PixelPCA`),
  fitted on the reference images. Needs no training and works for any data, but sees only
  pixel-level statistics.
* any name of ``latentforge.metrics.features`` (for example ``classifier``, a network trained
  on the data), when that module is installed; it measures what a classifier sees.
* ``auto``: ``classifier`` where available and fitting the images, else ``pixels``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from latentforge.errors import ConfigError, LatentforgeError

FeatureFunction = Callable[[Tensor], "Tensor | np.ndarray"]
EXTRACTORS_MODULE = "latentforge.metrics.features"


class PixelPCA:
    """Project flattened images onto the top ``dim`` principal directions of ``reference``.

    x -> V_k^T (x - mean), V_k the top right singular vectors of the centred reference pixels.
    """

    def __init__(self, reference: Tensor, dim: int = 64) -> None:
        if dim < 1:
            raise ConfigError(f"the pixel PCA needs dim >= 1, got {dim}")
        x = reference.detach().flatten(1).double().cpu()  # (N, C * H * W)
        if x.shape[0] < 2:
            raise ConfigError("the pixel PCA needs at least 2 reference images")
        self.mean = x.mean(0)
        k = min(dim, x.shape[0] - 1, x.shape[1])
        _, _, vh = torch.linalg.svd(x - self.mean, full_matrices=False)
        self.basis = vh[:k].T.contiguous()  # (P, k)
        self.shape = tuple(reference.shape[1:])

    def __call__(self, images: Tensor) -> Tensor:
        if tuple(images.shape[1:]) != self.shape:
            raise ConfigError(
                f"pixel features were fitted on images {self.shape}, got {tuple(images.shape[1:])}"
            )
        return ((images.detach().flatten(1).double().cpu() - self.mean) @ self.basis).float()


def extractors_available() -> bool:
    return importlib.util.find_spec(EXTRACTORS_MODULE) is not None


def _extractor(name: str, device: torch.device | str) -> FeatureFunction:
    if not extractors_available():
        raise ConfigError(
            f"--features {name}: no feature extractors are installed ({EXTRACTORS_MODULE} is "
            "missing); use --features pixels"
        )
    module = importlib.import_module(EXTRACTORS_MODULE)
    return module.load_feature_extractor(name, device)


def resolve_features(
    name: str, reference: Tensor, device: torch.device | str = "cpu"
) -> tuple[FeatureFunction, str]:
    """The feature function called ``name`` and the name actually used (``auto`` resolved)."""
    if name == "pixels":
        return PixelPCA(reference), "pixels"
    if name != "auto":
        return _extractor(name, device), name
    if extractors_available():
        try:
            extractor = _extractor("classifier", device)
            extractor(reference[:2].to(device))  # refuses images of another shape
            return extractor, "classifier"
        except LatentforgeError:
            pass
    return PixelPCA(reference), "pixels"


@torch.no_grad()
def features_of(function: FeatureFunction, images: Tensor, batch_size: int = 500) -> np.ndarray:
    """``function`` over ``images`` in batches, as a float64 array ``(N, F)``."""
    parts = []
    for start in range(0, images.shape[0], batch_size):
        out = function(images[start : start + batch_size])
        out = out.detach().cpu().numpy() if isinstance(out, Tensor) else np.asarray(out)
        parts.append(out.astype(np.float64))
    return np.concatenate(parts)
