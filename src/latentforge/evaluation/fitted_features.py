"""Feature extractors fitted to the user's own data (``latentforge features fit``), cached as

    $LATENTFORGE_HOME/features/NAME/extractor.json           what it is, what data, how good
                                    classifier.{safetensors,json}   (labelled data), or
                                    autoencoder/                    (unlabelled: a saved ``ae``)

With labels the extractor is a :class:`~latentforge.nn.classifier.ConvClassifier` (features:
its pooled activations; logits: class predictions, so mode coverage works). Without labels it is
the encoder of an autoencoder trained with the ordinary training engine (features: the code).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from torch import Tensor, nn

import latentforge.models  # noqa: F401  (registers the model types from_pretrained looks up)
from latentforge.errors import CheckpointError, ConfigError
from latentforge.metrics.features.base import FeatureExtractor
from latentforge.metrics.features.classifier import classifier_extractor, save_classifier
from latentforge.metrics.features.training import (
    ClassifierTraining,
    classifier_accuracy,
    train_classifier,
)
from latentforge.models.base import GenerativeModel
from latentforge.nn.classifier import ClassifierConfig
from latentforge.steps.train_config import TrainConfig
from latentforge.training.checkpoint import load_model
from latentforge.training.run import RunConfig, train
from latentforge.utils.cache import cache_dir
from latentforge.utils.files import atomic_write_json, read_json, replace_dir

MANIFEST = "extractor.json"
MANIFEST_FORMAT = "latentforge.fitted-extractor-1"
KINDS = ("auto", "classifier", "autoencoder")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclasses.dataclass
class FitOptions:
    kind: str = "auto"  # auto: a classifier when the data has labels, else an autoencoder
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3
    latent_dim: int = 64
    seed: int = 0
    device: str = "cpu"
    progress: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"--kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name in ("epochs", "batch_size", "latent_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1")


class EncoderFeatures(nn.Module):
    """An autoencoder's code as features: ``model.encode(images)``, no logits."""

    def __init__(self, model: GenerativeModel) -> None:
        super().__init__()
        self.model = model

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, None]:
        return self.model.encode(images).flatten(1), None  # (N, latent_dim)


def fitted_root() -> Path:
    return cache_dir("features")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"extractor name {name!r} must be letters, digits, '.', '_' or '-' (e.g. shoes-64)"
        )
    return name


def fitted_names() -> list[str]:
    root = fitted_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def read_manifest(name: str) -> dict[str, Any]:
    folder = fitted_root() / check_name(name)
    manifest = read_json(folder / MANIFEST, "extractor manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise CheckpointError(f"{folder / MANIFEST} is not a latentforge extractor manifest")
    return manifest


def load_fitted(name: str) -> FeatureExtractor:
    """The fitted extractor cached under ``name``."""
    folder = fitted_root() / check_name(name)
    if not (folder / MANIFEST).is_file():
        raise ConfigError(
            f"no fitted feature extractor named {name!r} in {fitted_root()}; fit one with "
            f"`latentforge features fit --data DATA --out {name}`"
        )
    manifest = read_manifest(name)
    if manifest["kind"] == "classifier":
        extractor = classifier_extractor(
            name, folder / "classifier.safetensors", folder / "classifier.json"
        )
    else:
        model = GenerativeModel.from_pretrained(folder / "autoencoder").eval()
        meta = read_json(folder / "autoencoder" / "config.json", "model config")
        extractor = FeatureExtractor(
            name,
            EncoderFeatures(model),
            feature_dim=model.config.latent_dim,
            cache_key=f"{name}-{meta['weights_sha256'][:12]}",
            input_shape=(model.config.in_channels, *model.config.image_size),
        )
    extractor.description = f"{manifest['kind']} fitted on {manifest['data']['spec']}"
    return extractor


def _fit_classifier(data, options: FitOptions, folder: Path) -> dict[str, Any]:
    config = ClassifierConfig(
        in_channels=data.channels, image_size=data.image_size, num_classes=data.num_classes
    )
    training = ClassifierTraining(
        epochs=options.epochs,
        batch_size=min(options.batch_size, len(data.train)),
        lr=options.lr,
        seed=options.seed,
        device=options.device,
        progress=options.progress,
    )
    model, history = train_classifier(data.train, config, training)
    held_out = "test" if data.test is not None else "val"
    held = data.test if data.test is not None else data.val
    quality: dict[str, Any] = {"history": history}
    if held is not None and held.labels is not None and len(held):
        quality[f"{held_out}_accuracy"] = classifier_accuracy(model, held)
    card = {"class_names": data.class_names, "dataset": data.name, **quality}
    save_classifier(model, folder / "classifier.safetensors", folder / "classifier.json", card)
    return {k: v for k, v in quality.items() if k != "history"}


def _fit_autoencoder(data_config, options: FitOptions, folder: Path) -> dict[str, Any]:
    # Imported here: the training package imports models, which must not import it back.
    from latentforge.utils.run_logs import read_metrics

    run = RunConfig(
        model_type="ae",
        model={"latent_dim": options.latent_dim},
        data=data_config,
        train=TrainConfig(
            epochs=options.epochs,
            batch_size=options.batch_size,
            lr=min(options.lr, 1e-3),
            seed=options.seed,
            device=options.device,
            progress=options.progress,
            tensorboard=False,
            num_workers=0,
        ),
    )
    run_dir = folder / "training-run"
    train(run, run_dir)
    model = load_model(run_dir)
    model.save_pretrained(folder / "autoencoder")
    records = [r for r in read_metrics(run_dir) if "val/loss" in r]
    shutil.rmtree(run_dir)
    return {"val_recon_loss": records[-1]["val/loss"]} if records else {}


def fit_extractor(
    data_config, name: str, options: FitOptions, overwrite: bool = False
) -> dict[str, Any]:
    """Train an extractor on the data ``data_config`` names and cache it as ``name``.

    ``data_config`` is a :class:`latentforge.training.run.DataConfig`. Returns the manifest.
    The extractor is built in a hidden folder and moved into place only when complete.
    """
    check_name(name)
    root = fitted_root()
    final = root / name
    if final.exists() and not overwrite:
        raise ConfigError(
            f"a feature extractor named {name!r} already exists in {root}; pass --overwrite "
            "to replace it or choose another --out"
        )
    data = data_config.load(options.seed)
    kind = options.kind
    if kind == "auto":
        kind = "classifier" if data.num_classes is not None else "autoencoder"
    if kind == "classifier" and data.num_classes is None:
        raise ConfigError(
            f"--kind classifier needs labelled data, and {data_config.spec} has no labels; "
            "use --kind autoencoder"
        )
    root.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-{os.getpid()}-", dir=root))
    try:
        if kind == "classifier":
            quality = _fit_classifier(data, options, staged)
        else:
            quality = _fit_autoencoder(data_config, options, staged)
        manifest = {
            "format": MANIFEST_FORMAT,
            "name": name,
            "kind": kind,
            "data": data_config.to_dict(),
            "image_shape": [data.channels, *data.image_size],
            "num_classes": data.num_classes if kind == "classifier" else None,
            "options": dataclasses.asdict(options),
            "quality": quality,
        }
        atomic_write_json(staged / MANIFEST, manifest)
        replace_dir(staged, final)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return manifest
