import urllib.error

import numpy as np
import pytest
import torch

from latentforge.data import download as download_module
from latentforge.data import load_data
from latentforge.data.download import REMOTE_FILES, RemoteFile
from latentforge.data.mnist_sets import FASHION_MNIST_CLASSES, IDX_FILES
from latentforge.errors import DataError

from .writers import md5_of, write_mnist_folder


def _check_loaded(bundle, arrays):
    train = arrays["train-images-idx3-ubyte"]
    test = arrays["t10k-images-idx3-ubyte"]
    assert torch.equal(bundle.train.images[:, 0], torch.from_numpy(train))
    assert bundle.train.labels.tolist() == arrays["train-labels-idx1-ubyte"].tolist()
    assert torch.equal(bundle.test.images[:, 0], torch.from_numpy(test))
    assert bundle.test.labels.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_idx_files(tmp_path, gz):
    arrays = write_mnist_folder(tmp_path / "mnist", np.random.default_rng(0), gz=gz)
    bundle = load_data("mnist", data_dir=tmp_path, val_fraction=0, download=False)
    _check_loaded(bundle, arrays)
    assert bundle.name == "MNIST" and bundle.class_names == [str(d) for d in range(10)]
    assert bundle.val is None


def test_fashion_mnist_from_npz_in_the_data_directory(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x_train, x_test = (
        rng.integers(0, 256, (20, 6, 5), np.uint8),
        rng.integers(0, 256, (4, 6, 5), np.uint8),
    )
    y_train, y_test = rng.integers(0, 10, 20, np.uint8), rng.integers(0, 10, 4, np.uint8)
    np.savez(
        tmp_path / "fashion-mnist.npz",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
    )
    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path))
    bundle = load_data("fashion-mnist", download=False, val_fraction=0.25)
    assert bundle.name == "Fashion-MNIST" and bundle.class_names == list(FASHION_MNIST_CLASSES)
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (15, 5, 4)
    assert torch.equal(bundle.test.images[:, 0], torch.from_numpy(x_test))


def _serve(tmp_path, arrays_seed=3, gz=True):
    """The four files on a local 'server', and remote entries pointing at them by file://."""
    server = tmp_path / "server"
    arrays = write_mnist_folder(server, np.random.default_rng(arrays_seed), gz=gz)
    remotes = tuple(
        RemoteFile(
            f"{stem}.gz", ((server / f"{stem}.gz").as_uri(),), md5=md5_of(server / f"{stem}.gz")
        )
        for stem in IDX_FILES
    )
    return arrays, remotes


def test_download_with_checksums(tmp_path, monkeypatch):
    arrays, remotes = _serve(tmp_path)
    monkeypatch.setitem(REMOTE_FILES, "fashion-mnist", remotes)
    data = tmp_path / "data"
    bundle = load_data("fashion-mnist", data_dir=data, val_fraction=0)
    _check_loaded(bundle, arrays)
    assert sorted(p.name for p in (data / "fashion-mnist").iterdir()) == sorted(
        f"{stem}.gz" for stem in IDX_FILES
    )
    again = load_data("fashion-mnist", data_dir=data, val_fraction=0, download=False)
    _check_loaded(again, arrays)


def test_only_missing_files_are_downloaded(tmp_path, monkeypatch):
    arrays, remotes = _serve(tmp_path)
    data = tmp_path / "data"
    present = write_mnist_folder(data / "mnist", np.random.default_rng(9))
    (data / "mnist" / "t10k-images-idx3-ubyte").unlink()
    (data / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    unreachable = tuple(
        RemoteFile(r.name, ("file:///nonexistent/" + r.name,), md5=r.md5)
        if "train" in r.name
        else r
        for r in remotes
    )
    monkeypatch.setitem(REMOTE_FILES, "mnist", unreachable)
    bundle = load_data("mnist", data_dir=data, val_fraction=0)
    assert torch.equal(
        bundle.train.images[:, 0], torch.from_numpy(present["train-images-idx3-ubyte"])
    )
    assert torch.equal(bundle.test.images[:, 0], torch.from_numpy(arrays["t10k-images-idx3-ubyte"]))


def test_checksum_mismatch_names_the_file(tmp_path, monkeypatch):
    _, remotes = _serve(tmp_path)
    broken = (remotes[0], RemoteFile(remotes[1].name, remotes[1].urls, md5="f" * 32), *remotes[2:])
    monkeypatch.setitem(REMOTE_FILES, "mnist", broken)
    data = tmp_path / "data"
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz") as error:
        load_data("mnist", data_dir=data)
    assert "md5" in str(error.value)
    assert sorted(p.name for p in (data / "mnist").iterdir()) == ["train-images-idx3-ubyte.gz"]


def _offline(*args, **kwargs):
    raise urllib.error.URLError("Temporary failure in name resolution")


def test_offline_message_says_which_files_go_where(tmp_path, monkeypatch):
    monkeypatch.setattr(download_module.urllib.request, "urlopen", _offline)
    with pytest.raises(DataError) as error:
        load_data("fashion-mnist", data_dir=tmp_path)
    message = str(error.value)
    assert "could not be downloaded" in message and "name resolution" in message
    assert f"in {tmp_path / 'fashion-mnist'}:" in message
    for stem in IDX_FILES:
        assert f"{stem}.gz" in message
    assert str(tmp_path / "fashion-mnist.npz") in message
    assert "--data-dir" in message and "LATENTFORGE_DATA" in message


def test_download_false_never_touches_the_network(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(download_module.urllib.request, "urlopen", forbidden)
    with pytest.raises(DataError, match="switched off") as error:
        load_data("mnist", data_dir=tmp_path, download=False)
    assert str(tmp_path / "mnist") in str(error.value) and "--data-dir" in str(error.value)


def test_data_dir_argument_beats_the_environment(tmp_path, monkeypatch):
    arrays = write_mnist_folder(tmp_path / "chosen" / "mnist", np.random.default_rng(4))
    monkeypatch.setenv("LATENTFORGE_DATA", str(tmp_path / "elsewhere"))
    bundle = load_data("mnist", data_dir=tmp_path / "chosen", download=False, val_fraction=0)
    _check_loaded(bundle, arrays)


def test_label_count_mismatch_in_idx_files(tmp_path):
    from .writers import write_idx

    write_mnist_folder(tmp_path / "mnist", np.random.default_rng(5))
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte") as error:
        load_data("mnist", data_dir=tmp_path, download=False)
    assert "5 images" in str(error.value)
