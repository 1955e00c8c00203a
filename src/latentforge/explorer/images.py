"""Images in and out of the explorer: tensors -> PNG bytes, uploaded bytes -> tensors.

Uploads are limited in bytes (by the server) and in pixels here, before Pillow decodes the
pixel data: Pillow's decompression-bomb check is made an error, and anything above
:data:`MAX_UPLOAD_PIXELS` is refused as well.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from latentforge.errors import DataError

MAX_UPLOAD_PIXELS = 2048 * 2048
DATA_URL_PREFIX = "data:image/png;base64,"


def png_bytes(image: Tensor) -> bytes:
    """One image ``(C, H, W)`` in [0, 1] (C = 1 or 3) as PNG bytes."""
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise DataError(f"a PNG needs an image shaped (1 or 3, H, W), got {tuple(image.shape)}")
    pixels = (image.detach().float().clamp(0, 1) * 255.0).round().to(torch.uint8).cpu()
    array = pixels[0].numpy() if pixels.shape[0] == 1 else pixels.permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def data_url(image: Tensor) -> str:
    """One image ``(C, H, W)`` as a ``data:image/png;base64,...`` URL for an ``<img>``."""
    return DATA_URL_PREFIX + base64.b64encode(png_bytes(image)).decode("ascii")


def data_urls(images: Tensor) -> list[str]:
    """A batch ``(N, C, H, W)`` as data URLs."""
    return [data_url(image) for image in images]


def bytes_from_data_url(text: str, what: str = "image") -> bytes:
    """The bytes of a ``data:image/...;base64,`` URL (or of bare base64)."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"the {what} is not valid base64; send a PNG or JPEG data URL") from None


def decode_upload(data: bytes, channels: int, what: str = "image") -> Tensor:
    """Uploaded image bytes -> ``(1, channels, H, W)`` float in [0, 1] (grey <-> RGB)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_UPLOAD_PIXELS:
                    raise DataError(
                        f"the {what} is {width}x{height} pixels, more than the "
                        f"{MAX_UPLOAD_PIXELS} allowed; upload a smaller image"
                    )
                image = image.convert("L" if channels == 1 else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(
            f"the {what} has too many pixels (Pillow's decompression-bomb guard); "
            "upload a smaller image"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DataError(
            f"the {what} could not be read as an image ({type(err).__name__}); upload a PNG or JPEG"
        ) from None
    array = np.asarray(image, dtype=np.uint8)
    tensor = torch.from_numpy(array.copy()).float() / 255.0
    tensor = tensor[None] if channels == 1 else tensor.permute(2, 0, 1)  # (C, H, W)
    return tensor[None]


def resize(images: Tensor, size: tuple[int, int], nearest: bool = False) -> Tensor:
    """Images ``(N, C, h, w)`` -> ``(N, C, H, W)`` (area averaging, or nearest for masks)."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    mode = "nearest" if nearest else "area"
    return torch.nn.functional.interpolate(images, size=tuple(size), mode=mode)
