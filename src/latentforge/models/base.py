"""The model contract: a config dataclass, ``save_pretrained`` / ``from_pretrained``,
training phases for the engine, and ``sample`` everywhere.

A saved model is a folder with ``config.json`` (model type, config, weights checksum)
and ``model.safetensors``; those two files alone rebuild it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor, nn

from latentforge.config import Config
from latentforge.errors import CheckpointError, ConfigError
from latentforge.models.footprint import check_model_fits
from latentforge.registry import Registry
from latentforge.utils.files import atomic_write_json, read_json
from latentforge.utils.weights import load_state_exactly, load_weights, save_weights

if TYPE_CHECKING:
    from latentforge.steps.hooks import Callback, Monitor
    from latentforge.steps.phases import Batch, Phase
    from latentforge.steps.train_config import TrainConfig

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


class ModelRegistry(Registry["type[GenerativeModel]"]):
    """The registry of model classes: ``@MODELS.register("vae")`` also sets the class's
    ``model_type`` to ``"vae"``, so a model's name is written in one place."""

    def register(self, name: str) -> Callable[[type[GenerativeModel]], type[GenerativeModel]]:
        add = super().register(name)

        def add_model(model_cls: type[GenerativeModel]) -> type[GenerativeModel]:
            model_cls.model_type = name
            return add(model_cls)

        return add_model


MODELS = ModelRegistry("model")


@dataclasses.dataclass
class ModelConfig(Config):
    """Fields every model has: the image shape it works on."""

    in_channels: int = 1
    image_size: tuple[int, int] = (28, 28)

    default_data: ClassVar[str] = "sample"
    """The ``--data`` the model trains on when none is given: built in, no download."""

    @classmethod
    def values_from_data(cls, data: Any) -> dict[str, Any]:
        """The fields a data set decides (``data``: a ``DataBundle``): the image shape.

        A model that reads its images differently (a translation model splits image pairs)
        overrides this, and may refuse data it cannot train on with a ``ConfigError``.
        """
        return {"in_channels": data.channels, "image_size": tuple(data.image_size)}

    def __post_init__(self) -> None:
        if self.in_channels < 1:
            raise ConfigError(f"in_channels must be >= 1, got {self.in_channels}")
        if len(self.image_size) != 2 or min(self.image_size) < 1:
            raise ConfigError(f"image_size must be two positive ints, got {self.image_size}")


class GenerativeModel(nn.Module):
    """Base of every latentforge model.

    Subclasses set ``config_class``, register with ``@MODELS.register(name)`` (which sets
    ``model_type`` to ``name``), and implement ``training_phases`` and ``sample``.
    """

    model_type: ClassVar[str] = ""
    config_class: ClassVar[type[ModelConfig]] = ModelConfig

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise ConfigError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, "
                f"got {type(config).__name__}"
            )
        self.config = config

    # --- the generative interface -------------------------------------------------------
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` new images ``(n, C, H, W)`` in [0, 1]."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        param = next(self.parameters(), None)
        return param.device if param is not None else torch.device("cpu")

    # --- what the training engine asks of a model ---------------------------------------
    def training_phases(self, train: TrainConfig) -> list[Phase]:
        raise NotImplementedError

    def evaluation_losses(self, batch: Batch) -> dict[str, Tensor]:
        """Per-batch mean validation values (``{"loss": ...}``); empty if none apply."""
        return {}

    def visualize(self, batch: Batch, generator: torch.Generator) -> dict[str, Tensor]:
        """Images to show each epoch, by name: ``{"samples": (N, C, H, W) in [0, 1]}``."""
        return {"samples": self.sample(64, generator=generator)}

    def after_epoch(self, train_batches: Callable[[], Iterator[Batch]]) -> None:  # noqa: B027
        """Called once per epoch after training, with an iterator factory over train data."""

    def sampling_weights(self) -> Tensor | None:
        """Per-image weights ``(N_train,)`` for drawing the next epoch, or ``None`` (uniform).

        The engine asks once before training and again after each ``after_epoch``; with
        weights, the next epoch is ``N_train`` seeded draws with replacement, image ``i``
        with probability ``w_i / sum(w)`` (``latentforge.data.batching.epoch_order``). Index
        ``i`` is the ``i``-th image of the training split, in the order ``after_epoch``'s
        batches give them. The engine keeps the weights in the checkpoint, so resume is exact.
        """
        return None

    def monitors(self) -> list[Monitor]:
        """Health monitors the engine consults at each log interval (none by default)."""
        return []

    def callbacks(self) -> list[Callback]:
        """Callbacks the engine runs for this model, after the run's own (none by default)."""
        return []

    def ema_module(self) -> nn.Module:
        """The part whose weights an exponential moving average tracks (a GAN's generator)."""
        return self

    # --- saving and loading -------------------------------------------------------------
    def save_pretrained(
        self, directory: str | Path, state: dict[str, Tensor] | None = None
    ) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        digest = save_weights(directory / WEIGHTS_NAME, state or self.state_dict())
        atomic_write_json(
            directory / CONFIG_NAME,
            {
                "model_type": self.model_type,
                "config": self.config.to_dict(),
                "weights_sha256": digest,
                "format": "latentforge-1",
            },
        )
        return directory

    @classmethod
    def from_pretrained(
        cls, directory: str | Path, map_location: str | torch.device = "cpu", **modules: nn.Module
    ) -> GenerativeModel:
        """Rebuild a model from ``config.json`` + ``model.safetensors`` in ``directory``.

        Called on :class:`GenerativeModel` it picks the class from the saved model type.
        Models built with custom sub-networks need the same modules passed again.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise CheckpointError(f"no saved model at {directory}: the folder does not exist")
        meta = read_json(directory / CONFIG_NAME, "model config")
        if not isinstance(meta, dict) or "model_type" not in meta or "config" not in meta:
            raise CheckpointError(
                f"{directory / CONFIG_NAME} is not a latentforge model config "
                "(needs 'model_type' and 'config')"
            )
        model_cls = MODELS.get(meta["model_type"]) if meta["model_type"] in MODELS else None
        if model_cls is None:
            raise CheckpointError(
                f"{directory / CONFIG_NAME} names unknown model type {meta['model_type']!r}; "
                f"known: {', '.join(MODELS.names())}"
            )
        if cls is not GenerativeModel and not issubclass(model_cls, cls):
            raise CheckpointError(
                f"{directory} holds a {meta['model_type']!r} model, not a {cls.__name__}"
            )
        try:
            config = model_cls.config_class.from_dict(meta["config"], source=str(directory))
        except ConfigError as err:
            raise CheckpointError(str(err)) from None
        if not modules:
            check_model_fits(model_cls, config, map_location, str(directory / CONFIG_NAME))
        state = load_weights(directory / WEIGHTS_NAME, meta.get("weights_sha256"))
        model = model_cls(config, **modules)
        load_state_exactly(
            model, state, f"weights in {directory / WEIGHTS_NAME} do not fit the config"
        )
        return model.to(map_location)


def model_kind(model: object) -> str:
    """A model's registry name (``"vae"``), or the class name of any other module."""
    return model.model_type if isinstance(model, GenerativeModel) else type(model).__name__


def build_model(
    model_type: str, config: ModelConfig | dict[str, Any], **modules: nn.Module
) -> GenerativeModel:
    """Construct a registered model from its name and config (or a dict of config values)."""
    model_cls = MODELS.get(model_type)
    if isinstance(config, dict):
        config = model_cls.config_class.from_dict(config)
    return model_cls(config, **modules)
