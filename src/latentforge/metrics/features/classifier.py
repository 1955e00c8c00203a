"""Classifier feature extractors: a :class:`~latentforge.nn.classifier.ConvClassifier` saved as
``NAME.safetensors`` plus a JSON card ``NAME.json`` (config, classes, checksum, accuracy).

The package ships one, trained on the Fashion-MNIST train split by
``benchmarks/train_feature_classifier.py``: ``--features classifier``. Its card records the
test accuracy; features are the 128-d globally pooled activations before the linear head.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from latentforge.errors import CheckpointError, ConfigError
from latentforge.metrics.features.base import FeatureExtractor
from latentforge.nn.classifier import ClassifierConfig, ConvClassifier
from latentforge.utils.files import atomic_write_json, read_json
from latentforge.utils.weights import load_state_exactly, load_weights, save_weights

CARD_FORMAT = "latentforge.classifier-1"
SHIPPED_NAME = "fashion_mnist_classifier"


def shipped_paths() -> tuple[Path, Path]:
    """Weights and card of the classifier inside the package."""
    folder = Path(str(resources.files("latentforge.metrics").joinpath("assets")))
    return folder / f"{SHIPPED_NAME}.safetensors", folder / f"{SHIPPED_NAME}.json"


def save_classifier(
    model: ConvClassifier,
    weights_path: str | Path,
    card_path: str | Path,
    card: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the weights (safetensors) and the card (JSON); returns the card."""
    digest = save_weights(Path(weights_path), model.state_dict())
    full = {
        "format": CARD_FORMAT,
        "config": model.config.to_dict(),
        "weights_sha256": digest,
        **(card or {}),
    }
    atomic_write_json(Path(card_path), full)
    return full


def read_card(card_path: str | Path) -> dict[str, Any]:
    card = read_json(Path(card_path), "classifier card")
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or "config" not in card:
        raise CheckpointError(f"{card_path} is not a latentforge classifier card")
    return card


def load_classifier_network(weights_path: str | Path, card_path: str | Path) -> ConvClassifier:
    """Rebuild the network from its card and load the weights (checksum verified)."""
    card = read_card(card_path)
    try:
        config = ClassifierConfig.from_dict(card["config"], source=str(card_path))
    except ConfigError as err:
        raise CheckpointError(str(err)) from None
    model = ConvClassifier(config)
    state = load_weights(Path(weights_path), card.get("weights_sha256"))
    load_state_exactly(model, state, f"{weights_path} does not fit its card {card_path}")
    return model.eval()


def classifier_extractor(
    name: str, weights_path: str | Path, card_path: str | Path
) -> FeatureExtractor:
    """A :class:`FeatureExtractor` over a saved classifier."""
    card = read_card(card_path)
    network = load_classifier_network(weights_path, card_path)
    config = network.config
    accuracy = card.get("test_accuracy")
    described = f", test accuracy {accuracy:.4f}" if isinstance(accuracy, float) else ""
    return FeatureExtractor(
        name,
        network,
        feature_dim=config.feature_dim,
        cache_key=f"{name}-{card['weights_sha256'][:12]}",
        input_shape=(config.in_channels, *config.image_size),
        num_classes=config.num_classes,
        class_names=card.get("class_names"),
        description=f"CNN classifier on {card.get('dataset', 'its data')}{described}",
    )


def shipped_classifier() -> FeatureExtractor:
    """The Fashion-MNIST classifier shipped in the package (1x28x28 grey images, 10 classes)."""
    weights, card = shipped_paths()
    if not weights.is_file() or not card.is_file():
        raise CheckpointError(
            f"the shipped classifier is missing from the package ({weights}); reinstall "
            "latentforge or rebuild it with benchmarks/train_feature_classifier.py"
        )
    return classifier_extractor("classifier", weights, card)
