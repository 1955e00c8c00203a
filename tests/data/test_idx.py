import gzip
import struct

import numpy as np
import pytest

from latentforge.data.idx import parse_idx, read_idx
from latentforge.errors import DataError

from .writers import idx_bytes, write_idx

IMAGES = np.random.default_rng(2).integers(0, 256, (7, 4, 3), dtype=np.uint8)


@pytest.mark.parametrize("gz", [False, True])
def test_round_trip_plain_and_gzipped(tmp_path, gz):
    path = write_idx(tmp_path / "images", IMAGES, gz=gz)
    array = read_idx(path)
    assert array.dtype == np.uint8 and array.flags.writeable
    np.testing.assert_array_equal(array, IMAGES)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(idx_bytes(np.arange(5)))  # named .gz but not compressed
    np.testing.assert_array_equal(read_idx(path), np.arange(5))


def test_big_endian_int32():
    values = np.array([[1, -2], [70000, 3]], dtype=">i4")
    data = bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 2) + values.tobytes()
    np.testing.assert_array_equal(parse_idx(data, "f"), values.astype(np.int32))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "bad magic"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "header"),
        (idx_bytes(IMAGES)[:-1], "truncated"),
        (idx_bytes(IMAGES) + b"\x00", "damaged"),
    ],
)
def test_malformed_files_name_the_file(data, match):
    with pytest.raises(DataError, match=match) as error:
        parse_idx(data, "/data/train-images-idx3-ubyte")
    assert "/data/train-images-idx3-ubyte" in str(error.value)


def test_damaged_gzip(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(IMAGES))[:30])
    with pytest.raises(DataError, match="damaged gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)
