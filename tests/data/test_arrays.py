import numpy as np
import pytest
import torch

from latentforge.data.arrays import (
    class_names_for,
    detect_layout,
    images_from_array,
    labels_from_array,
)
from latentforge.errors import DataError

RNG = np.random.default_rng(0)
NCHW = RNG.integers(0, 256, (4, 3, 5, 6), dtype=np.uint8)


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((4, 5, 6), "NHW"),
        ((4, 5, 6, 3), "NHWC"),
        ((4, 5, 6, 1), "NHWC"),
        ((4, 3, 5, 6), "NCHW"),
        ((4, 1, 28, 28), "NCHW"),
        ((4, 3, 5, 3), "NHWC"),
        ((4, 5, 6, 4), None),
        ((4, 5), None),
    ],
)
def test_detect_layout(shape, layout):
    assert detect_layout(shape) == layout


def test_layouts_give_the_same_tensor():
    nhwc = NCHW.transpose(0, 2, 3, 1)
    expected = torch.from_numpy(NCHW)
    assert torch.equal(images_from_array(NCHW, "f", "x"), expected)
    assert torch.equal(images_from_array(nhwc, "f", "x"), expected)
    grey = images_from_array(NCHW[:, 0], "f", "x")
    assert grey.shape == (4, 1, 5, 6) and torch.equal(grey[:, 0], expected[:, 0])


def test_floats_map_to_round_255x():
    values = np.array([0.0, 0.2, 0.5, 0.999, 1.0], dtype=np.float32).reshape(1, 1, 5)
    out = images_from_array(values, "f", "x").flatten().tolist()
    assert out == [round(v * 255) for v in (0.0, 0.2, 0.5, 0.999, 1.0)] == [0, 51, 128, 255, 255]


def test_wide_ints_and_bools():
    ints = NCHW.astype(np.int64)
    assert torch.equal(images_from_array(ints, "f", "x"), torch.from_numpy(NCHW))
    mask = np.array([[[True, False]]])
    assert images_from_array(mask, "f", "x").flatten().tolist() == [255, 0]


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.full((2, 3, 3), 1.5), r"\[0, 1\].*divide by 255"),
        (np.full((2, 3, 3), -0.1, dtype=np.float32), r"\[0, 1\]"),
        (np.array([[[0.1, np.nan]]]), "NaN"),
        (np.full((2, 3, 3), 300, dtype=np.int32), "0..255"),
        (np.zeros((2, 3, 3), dtype=np.complex64), "dtype"),
        (np.zeros((2, 3)), "ndim 2"),
        (np.zeros((2, 3, 4, 5, 6)), "ndim 5"),
        (np.zeros((2, 4, 5, 4), dtype=np.uint8), "1 or 3 channels"),
        (np.zeros((0, 4, 5), dtype=np.uint8), "no pixels"),
    ],
)
def test_bad_images_name_file_and_array(array, match):
    with pytest.raises(DataError, match=match) as error:
        images_from_array(array, "data.npz", "x_train")
    assert "data.npz" in str(error.value) and "'x_train'" in str(error.value)


def test_labels():
    labels = labels_from_array(np.array([3, 0, 1], dtype=np.uint8), 3, "f", "y")
    assert labels.dtype == torch.int64 and labels.tolist() == [3, 0, 1]
    with pytest.raises(DataError, match="3 images") as error:
        labels_from_array(np.array([1, 2]), 3, "data.npz", "y_train")
    assert "data.npz" in str(error.value) and "'y_train'" in str(error.value)
    with pytest.raises(DataError, match="integer"):
        labels_from_array(np.array([1.0, 2.0]), 2, "f", "y")
    with pytest.raises(DataError, match="negative"):
        labels_from_array(np.array([1, -1]), 2, "f", "y")


def test_class_names():
    labels = [torch.tensor([0, 4]), None, torch.tensor([2])]
    assert class_names_for(labels, None, "f") == ["0", "1", "2", "3", "4"]
    assert class_names_for([None], None, "f") is None
    assert class_names_for(labels, list("abcde"), "f") == list("abcde")
    with pytest.raises(DataError, match="label 4 has no class name"):
        class_names_for(labels, list("abc"), "f")
