"""The latent map: the codes of a data split projected to 2-D, with three colourings.

Projections: ``pca`` (the top two principal components of the codes, by SVD), ``tsne``
(``sklearn.manifold.TSNE``, van der Maaten & Hinton 2008), ``umap`` (``umap-learn``, McInnes
et al. 2018, offered only when that package is installed).

Colourings, one number (or label) per point:
- ``label``: the image's class, where the data are labelled;
- ``anomaly``: the run's anomaly score, with the threshold of its fitted detector
  (``RUN/anomaly.json`` from ``latentforge anomaly fit``) or, without one, a ``recon``
  detector fitted here on the run's training images (95th percentile; not saved);
- ``rarity``: -log of the latent density that the DB-VAE and the bias report use, the product
  of per-dimension histograms of the codes (``models/latent_histogram.py``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from latentforge.apps.anomaly import AnomalyDetector, fit_detector
from latentforge.apps.latent_codes import encode_set
from latentforge.data.base import ImageSet, TensorImageSet
from latentforge.errors import ConfigError
from latentforge.models.capabilities import Encodes
from latentforge.models.latent_histogram import LatentHistogram

TSNE_MAX_POINTS = 3000
DENSITY_BINS = 10
DETECTOR_FIT_IMAGES = 2000


def _pca(codes: np.ndarray) -> np.ndarray:
    centred = codes - codes.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # vt: (min(N, D), D)
    axes = vt[:2]
    if axes.shape[0] < 2:  # a 1-d latent space: put its only axis on x
        axes = np.vstack([axes, np.zeros_like(axes)])
    return centred @ axes.T  # (N, 2)


def _tsne(codes: np.ndarray) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(2.0, (codes.shape[0] - 1) / 3.0)))
    tsne = TSNE(2, init="pca", random_state=0, perplexity=perplexity)
    return tsne.fit_transform(codes)


def _umap(codes: np.ndarray) -> np.ndarray:
    import umap  # optional: offered only when importable

    return umap.UMAP(n_components=2, random_state=0).fit_transform(codes)


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


PROJECTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"pca": _pca, "tsne": _tsne}
if umap_available():
    PROJECTIONS["umap"] = _umap


def check_projection(projection: str, points: int) -> None:
    """Raise :class:`ConfigError` unless ``projection`` is offered for ``points`` points
    (checked before any encoding)."""
    if projection not in PROJECTIONS:
        hint = "" if umap_available() else " (umap needs `pip install 'latentforge[umap]'`)"
        raise ConfigError(
            f"projection {projection!r} is not offered; use one of {', '.join(PROJECTIONS)}{hint}"
        )
    if projection == "tsne" and points > TSNE_MAX_POINTS:
        raise ConfigError(
            f"t-SNE is limited to {TSNE_MAX_POINTS} points here, the map would have {points}; "
            "ask for fewer points or use pca"
        )


def project(codes: np.ndarray, projection: str) -> np.ndarray:
    """Codes ``(N, D)`` -> points ``(N, 2)`` by the named projection."""
    check_projection(projection, codes.shape[0])
    return np.asarray(PROJECTIONS[projection](codes), dtype=np.float64)


@dataclass
class LatentMap:
    points: np.ndarray  # (N, 2)
    codes: torch.Tensor  # (N, D)
    labels: list[int] | None
    anomaly: np.ndarray  # (N,)
    threshold: float
    anomaly_source: str
    rarity: np.ndarray  # (N,) -log density

    def to_dict(self, projection: str, class_names: list[str] | None) -> dict[str, object]:
        return {
            "projection": projection,
            "count": int(self.points.shape[0]),
            "x": np.round(self.points[:, 0], 4).tolist(),
            "y": np.round(self.points[:, 1], 4).tolist(),
            "labels": self.labels,
            "class_names": class_names,
            "anomaly": {
                "scores": np.round(self.anomaly, 6).tolist(),
                "threshold": self.threshold,
                "source": self.anomaly_source,
            },
            "rarity": np.round(self.rarity, 4).tolist(),
        }


def first_images(image_set: ImageSet, limit: int) -> TensorImageSet:
    images, labels = image_set.take(torch.arange(min(limit, len(image_set))))
    return TensorImageSet(images, labels)


def fitted_detector(
    model: Encodes, saved: AnomalyDetector | None, normal: ImageSet
) -> tuple[AnomalyDetector, str]:
    """The run's saved detector, or a ``recon`` detector fitted now on ``normal``."""
    if saved is not None:
        return saved, f"the run's fitted detector ({saved.score}, {saved.rule.describe()})"
    detector = fit_detector(model, first_images(normal, DETECTOR_FIT_IMAGES))
    return detector, (
        f"recon score; no anomaly.json, so the threshold ({detector.rule.describe()}) was "
        "fitted here on the run's training images and not saved"
    )


@torch.no_grad()
def latent_map(
    model: Encodes,
    images: TensorImageSet,
    projection: str,
    detector: AnomalyDetector,
    detector_source: str,
) -> LatentMap:
    """Encode ``images``, project the codes and colour them (module docstring)."""
    codes = encode_set(model, images, device=model.device).means  # (N, D) on the CPU
    points = project(codes.double().numpy(), projection)
    scores = detector.scores(model, images)
    rarity = -LatentHistogram.fit(codes, DENSITY_BINS).log_density(codes).numpy()
    labels = None if images.labels is None else images.labels.tolist()
    return LatentMap(points, codes, labels, scores, detector.threshold, detector_source, rarity)
