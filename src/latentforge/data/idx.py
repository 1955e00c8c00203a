"""The IDX format of MNIST and Fashion-MNIST, plain or gzipped.

Layout (all integers big-endian): two zero bytes, a type code, the number of dimensions ``d``;
then ``d`` uint32 sizes; then the values, row-major. See http://yann.lecun.com/exdb/mnist/.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from latentforge.errors import DataError

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"{path} is a damaged gzip file ({error}); delete it and download it again"
        ) from None


def parse_idx(data: bytes, where: str) -> np.ndarray:
    """The array held in IDX bytes ``data``; ``DataError`` naming ``where`` if malformed."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise DataError(
            f"{where} is not an IDX file (bad magic number {data[:4].hex() or 'empty'}); "
            "replace it with the original file"
        )
    dtype, ndim = IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{where} is truncated inside its header; replace it with the original")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{where} holds {len(data) - header} bytes of values but its header promises "
            f"{expected} for shape {shape}; the file is truncated or damaged - replace it"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=True)  # native order, writable


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not, recognised by content, not by name)."""
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))
