"""Single image files: finding them, reading their headers, decoding them to ``uint8`` tensors.

Formats: PNG, JPEG, BMP, the Netpbm family (PGM, PPM, PBM, PNM), GIF (first frame) and TIFF,
recognised by extension, case-insensitively. Every file decodes to grey (``L``) or RGB; palette
images count as grey when every palette entry is grey; 16-bit grey is scaled to 8 bits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from PIL import Image

from latentforge.data.transforms import ImageTransform
from latentforge.errors import DataError

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".pbm", ".pnm", ".gif", ".tif", ".tiff"}
)
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F"})
_PALETTE_MODES = frozenset({"P", "PA"})
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)

T = TypeVar("T")
R = TypeVar("R")


def find_image_files(root: Path) -> list[Path]:
    """Image files under ``root``, recursively, sorted; hidden files and folders are skipped."""
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        files.extend(
            Path(folder) / name
            for name in names
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES
        )
    return sorted(files)


def _is_grey(image: Image.Image) -> bool:
    if image.mode in _GREY_MODES or image.mode.startswith("I;16"):
        return True
    if image.mode in _PALETTE_MODES:
        palette = np.asarray(image.getpalette("RGB") or [], dtype=np.uint8).reshape(-1, 3)
        return bool((palette == palette[:, :1]).all())
    return False


@dataclass(frozen=True)
class ImageInfo:
    """What a file's header says: its size and whether it is in colour."""

    path: Path
    height: int
    width: int
    colour: bool


def _unreadable(path: Path, error: BaseException) -> DataError:
    return DataError(
        f"cannot read image {path} ({type(error).__name__}: {error}); the file is corrupt or not "
        "an image - replace or delete it"
    )


def probe_image(path: Path) -> ImageInfo:
    """Read ``path``'s header (palette images are decoded to inspect their palette)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            return ImageInfo(path, height, width, colour=not _is_grey(image))
    except _DECODE_ERRORS as error:
        raise _unreadable(path, error) from None


def _pixels(image: Image.Image) -> np.ndarray:
    """``(H, W)`` grey or ``(H, W, 3)`` RGB ``uint8`` pixels of the first frame."""
    if image.mode.startswith("I;16") or image.mode == "I":
        values = np.asarray(image, dtype=np.float64)  # 16-bit grey: 0..65535 -> 0..255
        return np.rint(np.clip(values, 0, 65535) / 257.0).astype(np.uint8)
    return np.array(image.convert("L" if _is_grey(image) else "RGB"))  # a writable copy


def decode_image(path: Path, transform: ImageTransform) -> torch.Tensor:
    """The image at ``path`` as ``uint8 (C, H, W)``, after ``transform``."""
    try:
        with Image.open(path) as image:
            image.seek(0)
            pixels = _pixels(image)
    except _DECODE_ERRORS as error:
        raise _unreadable(path, error) from None
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]  # (H, W) -> (H, W, 1)
    tensor = torch.from_numpy(pixels).permute(2, 0, 1)[None]  # (H, W, C) -> (1, C, H, W)
    return transform(tensor)[0]


def thread_map(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[function(item) for item in items]`` on a few threads (decoding releases the GIL)."""
    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
