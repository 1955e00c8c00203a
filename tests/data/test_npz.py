import numpy as np
import pytest
import torch

from latentforge.data.npz import read_npz
from latentforge.errors import DataError

RNG = np.random.default_rng(1)
NCHW = RNG.integers(0, 256, (6, 3, 4, 5), dtype=np.uint8)
LABELS = np.array([0, 2, 1, 2, 0, 1], dtype=np.int32)


GREY = NCHW[:, :1]
STORED = {  # layout -> (array as stored in the file, the (N, C, H, W) uint8 it stands for)
    "NCHW": (NCHW, NCHW),
    "NHWC": (NCHW.transpose(0, 2, 3, 1), NCHW),
    "NCHW-float32": (NCHW.astype(np.float32) / 255, NCHW),
    "NHWC-float64": (NCHW.transpose(0, 2, 3, 1) / 255.0, NCHW),
    "NHW": (GREY[:, 0], GREY),
    "NHW1": (GREY.transpose(0, 2, 3, 1), GREY),
    "N1HW-float": (GREY / 255.0, GREY),
}


@pytest.mark.parametrize("layout", sorted(STORED))
def test_layouts_and_dtypes(tmp_path, layout):
    stored, base = STORED[layout]
    path = tmp_path / "set.npz"
    np.savez(path, x=stored, y=LABELS)
    source = read_npz(path)
    assert torch.equal(source.train.images, torch.from_numpy(base))
    assert source.train.labels.tolist() == LABELS.tolist()
    assert source.test is None and source.name == "set"
    assert source.class_names == ["0", "1", "2"]


def test_train_test_pair_with_class_names(tmp_path):
    path = tmp_path / "pair.npz"
    names = np.array(["cat", "dog", "emu"])
    np.savez_compressed(path, x_train=NCHW, y_train=LABELS, x_test=NCHW[:2], class_names=names)
    source = read_npz(path)
    assert len(source.train) == 6 and len(source.test) == 2
    assert source.test.labels is None
    assert source.class_names == ["cat", "dog", "emu"]
    assert source.extra["source"] == str(path)


def test_unlabelled(tmp_path):
    path = tmp_path / "u.npz"
    np.savez(path, x=NCHW, subject=LABELS)
    source = read_npz(path)
    assert source.train.labels is None and source.class_names is None


def _error(path) -> str:
    with pytest.raises(DataError) as error:
        read_npz(path)
    return str(error.value)


def test_missing_file(tmp_path):
    message = _error(tmp_path / "nope.npz")
    assert "nope.npz" in message and "no .npz file" in message


def test_corrupt_and_truncated_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive at all" * 10)
    assert "garbage.npz" in _error(garbage) and "not a valid .npz" in _error(garbage)
    good = tmp_path / "good.npz"
    np.savez(good, x=NCHW)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "truncated.npz" in _error(truncated)


def test_single_npy_array_renamed(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as handle:
        np.save(handle, NCHW)
    assert "single .npy array" in _error(path)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    message = _error(path)
    assert "'x'" in message and "objects.npz" in message


def test_no_image_array(tmp_path):
    path = tmp_path / "empty.npz"
    np.savez(path, images=NCHW)
    message = _error(path)
    assert "no image array 'x'" in message and "images" in message and "x=images" in message


def test_both_x_and_x_train(tmp_path):
    path = tmp_path / "both.npz"
    np.savez(path, x=NCHW, x_train=NCHW)
    assert "both 'x' and 'x_train'" in _error(path)


def test_label_count_mismatch(tmp_path):
    path = tmp_path / "mismatch.npz"
    np.savez(path, x_train=NCHW, y_train=LABELS, x_test=NCHW, y_test=LABELS[:5])
    message = _error(path)
    assert "mismatch.npz" in message and "'y_test'" in message and "6 images" in message


def test_out_of_range_floats_and_nan(tmp_path):
    path = tmp_path / "floats.npz"
    np.savez(path, x=NCHW.astype(np.float32))
    message = _error(path)
    assert "floats.npz" in message and "'x'" in message and "divide by 255" in message
    images = NCHW.astype(np.float32) / 255
    images[0, 0, 0, 0] = np.nan
    np.savez(path, x=images)
    assert "NaN" in _error(path)


def test_bad_class_names(tmp_path):
    path = tmp_path / "names.npz"
    np.savez(path, x=NCHW, y=LABELS, class_names=np.array([1, 2, 3]))
    assert "class_names" in _error(path)
    np.savez(path, x=NCHW, y=LABELS, class_names=np.array(["a", "b"]))
    assert "label 2 has no class name" in _error(path)
