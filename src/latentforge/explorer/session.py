"""One explored run: its model (reloaded when training writes a newer checkpoint), its data
split, and the results worth keeping between requests (sliders, latent maps)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from latentforge.apps.anomaly import AnomalyDetector, detector_path, load_detector
from latentforge.data.base import DataBundle, ImageSet
from latentforge.errors import DataError, LatentforgeError
from latentforge.evaluation.run import default_split, model_data_config, run_seed
from latentforge.explorer import image_to_image
from latentforge.explorer.latent_map import PROJECTIONS, umap_available
from latentforge.models.capabilities import Decodes, Encodes, capability_names
from latentforge.training.checkpoint import load_model, resolve_model_dir

SPLITS = ("train", "val", "test")
MAX_CACHED = 6  # the sliders and a few latent maps per run
T = TypeVar("T")


def data_choice(value: str | None) -> tuple[str | None, str | None]:
    """``--data`` as (spec, split): a split name keeps the run's own data."""
    if value is None:
        return None, None
    return (None, value) if value in SPLITS else (value, None)


class ExploredRun:
    """A run directory (or saved model folder) named on the command line."""

    def __init__(
        self,
        run_id: str,
        path: Path,
        data: str | None = None,
        data_dir: str | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        self.id, self.path, self.device = run_id, Path(path), torch.device(device)
        self.spec, self.split_name = data_choice(data)
        self.data_dir = data_dir
        self._lock = threading.RLock()
        self._bundle: DataBundle | None = None
        self._cache: dict[Any, Any] = {}
        self.checkpoint = ""
        self.model = self._load()
        if data is not None:  # named on the command line: a bad value fails now, not later
            self.split()

    # --- the model ----------------------------------------------------------------------
    def _load(self):
        model_dir = resolve_model_dir(self.path)
        model = load_model(self.path, self.device)
        self.checkpoint = model_dir.name
        return model

    def refresh(self) -> bool:
        """Load the newest checkpoint if training wrote one since; True when it did."""
        try:
            newest = resolve_model_dir(self.path).name
        except LatentforgeError:
            return False
        if newest == self.checkpoint:
            return False
        with self._lock:
            try:
                model = self._load()
            except LatentforgeError:  # a checkpoint being written: try again next time
                return False
            self.model, self._cache = model, {}
        return True

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` once per key and checkpoint (computed under the run's lock); the
        :data:`MAX_CACHED` most recently used results are kept."""
        with self._lock:
            if key in self._cache:
                self._cache[key] = self._cache.pop(key)  # most recently used last
            else:
                self._cache[key] = compute()
                while len(self._cache) > MAX_CACHED:
                    del self._cache[next(iter(self._cache))]
            return self._cache[key]

    # --- the data -----------------------------------------------------------------------
    def bundle(self) -> DataBundle:
        with self._lock:
            if self._bundle is None:
                config = model_data_config(self.path, self.model, self.spec, self.data_dir)
                self._bundle = config.load(seed=run_seed(self.path))
            return self._bundle

    def split(self) -> ImageSet:
        bundle = self.bundle()
        return bundle.split(self.split_name or default_split(bundle))

    def image(self, index: int) -> torch.Tensor:
        """Data image ``index`` of the split as ``(1, C, H, W)`` float in [0, 1]."""
        images = self.split()
        if not 0 <= index < len(images):
            raise DataError(
                f"image index {index} is outside the split, which has {len(images)} images "
                f"(valid: 0..{len(images) - 1})"
            )
        pixels, _ = images.take(torch.tensor([index]))
        return pixels.float().div(255.0)

    def detector(self) -> AnomalyDetector | None:
        """The run's saved anomaly detector, if it has a valid one."""
        if not detector_path(self.path).is_file():
            return None
        try:
            return load_detector(self.path)
        except LatentforgeError:
            return None

    # --- what the page offers -----------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        model = self.model
        features = {
            "samples": isinstance(model, Decodes),
            "sliders": isinstance(model, Decodes),
            "interpolation": isinstance(model, Decodes),
            "map": isinstance(model, Encodes),
            "image_to_image": image_to_image.is_image_to_image(model),
        }
        info: dict[str, Any] = {
            "id": self.id,
            "name": self.path.name or str(self.path),
            "model_type": model.model_type,
            "capabilities": capability_names(model),
            "checkpoint": self.checkpoint,
            "image_shape": [model.config.in_channels, *model.config.image_size],
            "features": features,
            "projections": list(PROJECTIONS),
            "umap": umap_available(),
            "noise_control": "truncation" if not isinstance(model, Encodes) else "temperature",
        }
        if isinstance(model, Decodes):
            info["latent_dim"] = int(model.latent_dim)
        if features["image_to_image"]:
            info["image_to_image"] = {
                "kind": image_to_image.kind(model),
                "directions": image_to_image.directions(model),
                "input_shapes": {
                    d: list(image_to_image.input_shape(model, d))
                    for d in image_to_image.directions(model)
                },
            }
        return info
