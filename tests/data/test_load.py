import numpy as np
import pytest
import torch

from latentforge.data import DataBundle, load_data
from latentforge.data.transforms import ImageTransform
from latentforge.errors import ConfigError, DataError

from .writers import save_image

RNG = np.random.default_rng(5)


@pytest.fixture
def npz_pair(tmp_path):
    path = tmp_path / "pair.npz"
    x_train = RNG.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    x_test = RNG.integers(0, 256, (10, 8, 8, 3), dtype=np.uint8)
    np.savez(path, x_train=x_train, y_train=np.arange(40) % 4, x_test=x_test)
    return path, x_train, x_test


def test_npz_path_gives_train_val_and_untouched_test(npz_pair):
    path, x_train, x_test = npz_pair
    bundle = load_data(str(path), val_fraction=0.2, seed=1)
    assert isinstance(bundle, DataBundle) and bundle.name == "pair"
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (32, 8, 10)
    assert torch.equal(bundle.test.images, torch.from_numpy(x_test).permute(0, 3, 1, 2))
    together = torch.cat([bundle.train.images, bundle.val.images])
    assert sorted(together.flatten(1).sum(1).tolist()) == sorted(
        torch.from_numpy(x_train).flatten(1).sum(1).tolist()
    )
    assert bundle.class_names == ["0", "1", "2", "3"] and bundle.extra["source"] == str(path)


def test_transforms_apply_to_every_split(npz_pair):
    path, x_train, x_test = npz_pair
    bundle = load_data(str(path), image_size=(4, 6), channels=1, val_fraction=0)
    assert bundle.train.shape == bundle.test.shape == (1, 4, 6)
    transform = ImageTransform((4, 6), 1)
    expected = transform(torch.from_numpy(x_test).permute(0, 3, 1, 2))
    assert torch.equal(bundle.test.images, expected)


def test_same_seed_same_split_through_load_data(npz_pair):
    path = str(npz_pair[0])
    first = load_data(path, seed=4, val_fraction=0.25).val.images
    assert torch.equal(first, load_data(path, seed=4, val_fraction=0.25).val.images)
    assert not torch.equal(first, load_data(path, seed=5, val_fraction=0.25).val.images)
    assert load_data(path, val_fraction=0).val is None


def test_test_split_of_another_shape(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, x_train=np.zeros((3, 4, 4), np.uint8), x_test=np.zeros((3, 5, 5), np.uint8))
    with pytest.raises(DataError, match="--image-size"):
        load_data(str(path))
    assert load_data(str(path), image_size=4).test.shape == (1, 4, 4)


def test_names_are_case_insensitive():
    assert load_data("  Sample ", val_fraction=0).name == "Fashion-MNIST sample"


@pytest.mark.parametrize("spec", ["nope", "missing/folder", "missing.npz"])
def test_unknown_name_or_missing_path_lists_the_accepted_forms(tmp_path, monkeypatch, spec):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as error:
        load_data(spec)
    message = str(error.value)
    assert repr(spec) in message and "does not exist" in message
    for form in ("sample", "fashion-mnist", "mnist", "cifar10", ".npz", "folder"):
        assert form in message


def test_a_file_that_is_not_npz(tmp_path):
    path = save_image(tmp_path / "single.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="not an .npz"):
        load_data(str(path))


@pytest.mark.parametrize(
    "options",
    [{"channels": 2}, {"image_size": 0}, {"val_fraction": 1.0}, {"val_fraction": -0.5}],
)
def test_bad_options_are_config_errors_before_any_reading(options):
    with pytest.raises(ConfigError):
        load_data("does-not-exist", **options)


def test_whole_fashion_mnist_npz(real_dataset):
    fashion_mnist = real_dataset("fashion-mnist.npz")
    bundle = load_data(str(fashion_mnist), val_fraction=0.1)
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (54000, 6000, 10000)
    assert bundle.train.shape == (1, 28, 28) and bundle.train.images.dtype == torch.uint8
    assert bundle.train.labels.shape == (54000,) and bundle.class_names == [
        str(k) for k in range(10)
    ]
    with np.load(fashion_mnist, allow_pickle=False) as archive:
        x_test = archive["x_test"]
    assert torch.equal(bundle.test.images[:, 0], torch.from_numpy(x_test))


def test_path_objects_and_bad_seeds(npz_pair):
    path = npz_pair[0]
    assert len(load_data(path, val_fraction=0).train) == 40
    with pytest.raises(ConfigError, match="seed"):
        load_data(path, seed=1.5)
