import tarfile
import urllib.error

import numpy as np
import pytest
import torch

from latentforge.data import download as download_module
from latentforge.data import load_data
from latentforge.data.cifar import CIFAR10_CLASSES, read_cifar_batches
from latentforge.data.download import REMOTE_FILES, RemoteFile
from latentforge.errors import DataError

from .writers import md5_of, write_cifar_folder

TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]


def _expected(written, names):
    images = np.concatenate([written[n][0] for n in names])
    labels = np.concatenate([written[n][1] for n in names])
    return torch.from_numpy(images), labels.tolist()


def test_binary_batches(tmp_path):
    written = write_cifar_folder(tmp_path / "cifar-10-batches-bin", np.random.default_rng(0))
    bundle = load_data("cifar10", data_dir=tmp_path, download=False, val_fraction=0)
    images, labels = _expected(written, TRAIN)
    assert bundle.name == "CIFAR-10" and bundle.class_names == list(CIFAR10_CLASSES)
    assert bundle.train.shape == (3, 32, 32)
    assert torch.equal(bundle.train.images, images) and bundle.train.labels.tolist() == labels
    test_images, test_labels = _expected(written, ["test_batch.bin"])
    assert torch.equal(bundle.test.images, test_images)
    assert bundle.test.labels.tolist() == test_labels


def test_truncated_batch(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    path.write_bytes(bytes(3073 * 2 + 5))
    with pytest.raises(DataError, match="data_batch_1.bin"):
        read_cifar_batches([path])


def _tarball(tmp_path, written_seed=1):
    staging = tmp_path / "staging"
    written = write_cifar_folder(
        staging / "cifar-10-batches-bin", np.random.default_rng(written_seed)
    )
    server = tmp_path / "server"
    server.mkdir()
    archive = server / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    return written, archive


def test_download_verify_and_extract(tmp_path, monkeypatch):
    written, archive = _tarball(tmp_path)
    remote = RemoteFile(archive.name, (archive.as_uri(),), md5=md5_of(archive))
    monkeypatch.setitem(REMOTE_FILES, "cifar10", (remote,))
    data = tmp_path / "data"
    bundle = load_data("cifar10", data_dir=data, val_fraction=0)
    assert torch.equal(bundle.train.images, _expected(written, TRAIN)[0])
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-batches-bin", archive.name]


def test_placed_archive_is_verified_then_extracted(tmp_path, monkeypatch):
    written, archive = _tarball(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / archive.name).write_bytes(archive.read_bytes())
    monkeypatch.setattr(download_module.urllib.request, "urlopen", None)  # must not download
    remote = RemoteFile(archive.name, ("https://example.invalid/x",), md5=md5_of(archive))
    monkeypatch.setitem(REMOTE_FILES, "cifar10", (remote,))
    bundle = load_data("cifar10", data_dir=data, val_fraction=0)
    assert torch.equal(bundle.test.images, _expected(written, ["test_batch.bin"])[0])
    monkeypatch.setitem(REMOTE_FILES, "cifar10", (RemoteFile(archive.name, (), md5="0" * 32),))
    other = tmp_path / "other"
    other.mkdir()
    (other / archive.name).write_bytes(archive.read_bytes())
    with pytest.raises(DataError, match=archive.name):
        load_data("cifar10", data_dir=other)


def test_incomplete_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar_folder(folder, np.random.default_rng(2))
    (folder / "data_batch_3.bin").unlink()
    with pytest.raises(DataError, match="data_batch_3.bin"):
        load_data("cifar10", data_dir=tmp_path)


def test_offline_message(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(download_module.urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as error:
        load_data("cifar10", data_dir=tmp_path)
    message = str(error.value)
    assert f"in {tmp_path}: cifar-10-binary.tar.gz" in message
    assert "cifar-10-batches-bin" in message and "test_batch.bin" in message
    assert "--data-dir" in message and "LATENTFORGE_DATA" in message
