"""Image-to-image models in the explorer: what they take, and one input -> one output.

=============  =====================================  ==========================================
capability     input                                  from a data image
=============  =====================================  ==========================================
``Translates`` ``source_shape(direction)``            the pair's source (a2b) or target (b2a)
``Upscales``   the model's image size / ``scale``     the image, average-pooled by ``scale``
``Inpaints``   the model's image size, plus a mask   the image; the mask painted on the page
               (1 = hole)                             (or the model's own ``masks(1)``)
=============  =====================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from latentforge.data.pairs import split_pair
from latentforge.errors import ConfigError, DataError
from latentforge.models.base import GenerativeModel
from latentforge.models.capabilities import Inpaints, Translates, Upscales


def is_image_to_image(model: object) -> bool:
    return isinstance(model, Translates | Upscales | Inpaints)


def kind(model: GenerativeModel) -> str:
    if isinstance(model, Inpaints):
        return "inpaint"
    if isinstance(model, Upscales):
        return "upscale"
    if isinstance(model, Translates):
        return "translate"
    raise ConfigError(f"a {model.model_type} model does not map images to images")


def directions(model: GenerativeModel) -> list[str]:
    return list(model.directions) if isinstance(model, Translates) else ["a2b"]


def _image_shape(model: GenerativeModel) -> tuple[int, int, int]:
    return (model.config.in_channels, *model.config.image_size)


def input_shape(model: GenerativeModel, direction: str = "a2b") -> tuple[int, int, int]:
    """The ``(C, H, W)`` of the images the model takes in ``direction``."""
    if isinstance(model, Translates):
        return tuple(model.source_shape(direction))
    c, h, w = _image_shape(model)
    if isinstance(model, Upscales):
        return (c, h // model.scale, w // model.scale)
    return (c, h, w)


def check_direction(model: GenerativeModel, direction: str) -> None:
    if direction not in directions(model):
        raise ConfigError(
            f"a {model.model_type} model maps {' and '.join(directions(model))}, not {direction!r}"
        )


@dataclass
class Example:
    """An input of the model and, where the data give one, the image it should produce."""

    input: Tensor  # (1, C, h, w)
    target: Tensor | None  # (1, C, H, W)


def from_data(model: GenerativeModel, image: Tensor, direction: str = "a2b") -> Example:
    """The model's input (and target) made from one data image ``(1, C_data, H, W)``."""
    check_direction(model, direction)
    if isinstance(model, Translates):
        sources, targets = split_pair(image)
        return Example(sources, targets) if direction == "a2b" else Example(targets, sources)
    if isinstance(model, Upscales):
        return Example(torch.nn.functional.avg_pool2d(image, model.scale), image)
    return Example(image, image)


@torch.no_grad()
def apply(
    model: GenerativeModel, image: Tensor, direction: str = "a2b", mask: Tensor | None = None
) -> Tensor:
    """The model's output for ``image`` ``(1, C, h, w)``; ``mask`` ``(1, 1, h, w)`` (1 = hole)
    for an inpainting model."""
    check_direction(model, direction)
    expected = input_shape(model, direction)
    if tuple(image.shape[1:]) != expected:
        raise DataError(f"the input is {tuple(image.shape[1:])}, the model takes {expected}")
    image = image.to(model.device)
    if isinstance(model, Inpaints):
        if mask is None:
            raise DataError("an inpainting model needs a mask: paint the hole first")
        if not bool((mask > 0.5).any()):
            raise DataError("the mask is empty: paint the hole to fill with the brush")
        return model.inpaint(image, (mask > 0.5).float().to(model.device))
    if isinstance(model, Upscales):
        return model.upscale(image)
    return model.translate(image, direction)


def show_hole(image: Tensor, mask: Tensor) -> Tensor:
    """The image with its hole (mask 1) painted white, for display."""
    return image * (1.0 - mask) + mask
