"""Turn image and label arrays from files into the tensors the image sets hold, whole-array.

Images become ``uint8 (N, C, H, W)``; layouts ``(N, H, W)``, ``(N, H, W, C)`` and
``(N, C, H, W)`` with C in {1, 3} are recognised, and floats in [0, 1] map to ``round(255 x)``.
Every step is one vectorised NumPy operation: no Python loop over images.
"""

from __future__ import annotations

import numpy as np
import torch

from latentforge.errors import DataError

_CHANNEL_COUNTS = (1, 3)


def detect_layout(shape: tuple[int, ...]) -> str | None:
    """``"NHW"``, ``"NHWC"`` or ``"NCHW"`` for an image array's shape, or ``None`` if none fits.

    A 4-d array is NHWC when its last axis could be channels (1 or 3), else NCHW when its
    second could; when both could (width 1 or 3), NHWC, the NumPy and PIL convention, wins.
    """
    if len(shape) == 3:
        return "NHW"
    if len(shape) == 4 and shape[3] in _CHANNEL_COUNTS:
        return "NHWC"
    if len(shape) == 4 and shape[1] in _CHANNEL_COUNTS:
        return "NCHW"
    return None


def _to_uint8(array: np.ndarray, where: str, what: str) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "u" and array.dtype.itemsize == 1:
        return array
    if kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if kind in "ui":
        low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
        if low < 0 or high > 255:
            raise DataError(
                f"{where}: array {what!r} is {array.dtype} with values in [{low}, {high}]; integer "
                "images must lie in 0..255 - store them as uint8 (or as floats in [0, 1])"
            )
        return array.astype(np.uint8)
    if kind == "f":
        if not np.isfinite(array).all():
            raise DataError(
                f"{where}: array {what!r} contains NaN or infinite values; replace them with "
                "values in [0, 1] (or store uint8 images 0..255)"
            )
        low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        if low < 0.0 or high > 1.0:
            raise DataError(
                f"{where}: array {what!r} is {array.dtype} with values in [{low:g}, {high:g}]; "
                "float images must lie in [0, 1] - divide by 255 or store uint8 images 0..255"
            )
        return np.rint(array * 255.0).astype(np.uint8)
    raise DataError(
        f"{where}: array {what!r} has dtype {array.dtype}; store images as uint8 (0..255) or "
        "float (0..1)"
    )


def images_from_array(array: np.ndarray, where: str, what: str) -> torch.Tensor:
    """A NumPy image array -> ``uint8 (N, C, H, W)`` tensor; ``DataError`` naming file and array."""
    if array.ndim not in (3, 4):
        raise DataError(
            f"{where}: array {what!r} has shape {array.shape} (ndim {array.ndim}); images "
            "must be 3-d (N, H, W) or 4-d (N, H, W, C) / (N, C, H, W) with C = 1 or 3"
        )
    layout = detect_layout(array.shape)
    if layout is None:
        raise DataError(
            f"{where}: array {what!r} has shape {array.shape}: neither axis 1 nor axis 3 holds 1 "
            "or 3 channels; store grey (C=1) or RGB (C=3) images, e.g. drop an alpha channel"
        )
    if array.shape[0] == 0 or 0 in array.shape[1:]:
        raise DataError(f"{where}: array {what!r} has shape {array.shape}, with no pixels")
    pixels = _to_uint8(array, where, what)
    if layout == "NHW":
        pixels = pixels[:, None]  # (N, H, W) -> (N, 1, H, W)
    elif layout == "NHWC":
        pixels = pixels.transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
    pixels = np.ascontiguousarray(pixels)
    if not pixels.flags.writeable:
        pixels = pixels.copy()
    return torch.from_numpy(pixels)


def labels_from_array(array: np.ndarray, count: int, where: str, what: str) -> torch.Tensor:
    """Integer class ids ``int64 (count,)``; ``DataError`` on shape, dtype or sign problems."""
    if array.dtype.kind not in "ui":
        raise DataError(
            f"{where}: labels {what!r} have dtype {array.dtype}; store integer class ids "
            "(0, 1, 2, ...)"
        )
    if array.ndim != 1 or array.shape[0] != count:
        raise DataError(
            f"{where}: labels {what!r} have shape {array.shape} but there are {count} images; "
            "give exactly one label per image (a 1-d array)"
        )
    if array.size and int(array.min()) < 0:
        raise DataError(f"{where}: labels {what!r} contain negative values; class ids start at 0")
    return torch.from_numpy(array.astype(np.int64))


def class_names_for(
    label_sets: list[torch.Tensor | None], names: list[str] | None, where: str
) -> list[str] | None:
    """The class names: ``names`` if given (checked against the labels), else ``"0".."K-1"``.

    ``K`` is one more than the largest label; ``None`` when there are no labels and no names.
    """
    present = [labels for labels in label_sets if labels is not None and labels.numel() > 0]
    largest = max((int(labels.max()) for labels in present), default=-1)
    if names is None:
        return None if largest < 0 else [str(k) for k in range(largest + 1)]
    if largest >= len(names):
        raise DataError(
            f"{where}: label {largest} has no class name ({len(names)} names given); give one "
            "name per class id"
        )
    return list(names)
