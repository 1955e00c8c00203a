import pytest
import torch

from latentforge.data.base import DataBundle, TensorImageSet
from latentforge.data.class_filter import check_classes, keep_classes, select_classes
from latentforge.errors import ConfigError, DataError


def _labelled(labels):
    labels = torch.tensor(labels)
    images = torch.arange(len(labels), dtype=torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, 2, 2)
    return TensorImageSet(images.contiguous(), labels)


def test_select_keeps_exactly_the_classes_in_order():
    image_set = _labelled([0, 3, 1, 3, 2, 1, 0])
    chosen = select_classes(image_set, (1, 3))
    assert chosen.labels.tolist() == [3, 1, 3, 1]
    assert chosen.images[:, 0, 0, 0].tolist() == [1, 2, 3, 5]  # image i holds its index i


def test_keep_classes_cuts_train_and_val_but_not_test():
    bundle = DataBundle(
        "toy",
        _labelled([0, 1, 2, 1]),
        _labelled([2, 2, 1]),
        _labelled([0, 1, 2]),
        class_names=["a", "b", "c"],
    )
    kept = keep_classes(bundle, [1])
    assert kept.train.labels.tolist() == [1, 1]
    assert kept.val.labels.tolist() == [1]
    assert kept.test is bundle.test
    assert keep_classes(bundle, [0]).val is None  # no class-0 image in val


def test_classes_that_do_not_exist_or_occur_fail_clearly():
    bundle = DataBundle("toy", _labelled([0, 1]), class_names=["a", "b", "c"])
    with pytest.raises(DataError, match="classes 0..2 .0 a, 1 b, 2 c."):
        keep_classes(bundle, [5])
    with pytest.raises(DataError, match="no training image"):
        keep_classes(bundle, [2])


def test_unlabelled_data_cannot_be_selected():
    unlabelled = TensorImageSet(torch.zeros(3, 1, 2, 2, dtype=torch.uint8))
    with pytest.raises(DataError, match="needs labelled data"):
        keep_classes(DataBundle("plain", unlabelled), [0])


@pytest.mark.parametrize("bad", [(), (-1,), (1, 1), (1.5,), (True,)])
def test_bad_class_lists(bad):
    with pytest.raises(ConfigError, match="--classes"):
        check_classes(bad)
