import tarfile
import urllib.error

import pytest

from latentforge.data import download as download_module
from latentforge.data.download import (
    DownloadUnavailable,
    RemoteFile,
    download,
    extract_tar_folder,
    file_digest,
    verify_file,
)
from latentforge.errors import DataError

from .writers import add_tar_bytes, md5_of


@pytest.fixture
def served(tmp_path):
    """A file on a local 'server' reachable by a file:// URL."""
    server = tmp_path / "server"
    server.mkdir()
    path = server / "payload.bin"
    path.write_bytes(bytes(range(256)) * 50)
    return path


def test_download_verifies_and_moves_into_place(tmp_path, served):
    remote = RemoteFile("payload.bin", (served.as_uri(),), md5=md5_of(served))
    target = download(remote, tmp_path / "data" / "sub")
    assert target == tmp_path / "data" / "sub" / "payload.bin"
    assert target.read_bytes() == served.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["payload.bin"]


def test_sha256_is_checked_too(tmp_path, served):
    import hashlib

    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    remote = RemoteFile("payload.bin", (served.as_uri(),), sha256=digest.upper())
    assert download(remote, tmp_path / "d").is_file()
    assert file_digest(served, "sha256") == digest


def test_checksum_mismatch_keeps_nothing_and_names_the_file(tmp_path, served):
    remote = RemoteFile("payload.bin", (served.as_uri(),), md5="0" * 32)
    directory = tmp_path / "data"
    with pytest.raises(DataError, match="payload.bin") as error:
        download(remote, directory)
    assert "md5" in str(error.value) and md5_of(served) in str(error.value)
    assert list(directory.iterdir()) == []  # neither the target nor the temporary file


def test_falls_back_to_the_next_mirror(tmp_path, served):
    missing = (tmp_path / "server" / "absent.bin").as_uri()
    remote = RemoteFile("payload.bin", (missing, served.as_uri()), md5=md5_of(served))
    assert download(remote, tmp_path / "data").read_bytes() == served.read_bytes()


def test_offline_raises_download_unavailable(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(download_module.urllib.request, "urlopen", offline)
    remote = RemoteFile("f.gz", ("https://example.invalid/f.gz",), md5="0" * 32)
    with pytest.raises(DownloadUnavailable, match="no network"):
        download(remote, tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []


def test_unwritable_directory(tmp_path, served):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    remote = RemoteFile("payload.bin", (served.as_uri(),), md5=md5_of(served))
    with pytest.raises(DataError, match="--data-dir"):
        download(remote, blocker / "data")


def test_verify_file(tmp_path, served):
    verify_file(served, RemoteFile("payload.bin", (), md5=md5_of(served)))
    with pytest.raises(DataError, match=str(served)):
        verify_file(served, RemoteFile("payload.bin", (), md5="1" * 32))


def test_tar_extraction_keeps_only_safe_files_under_the_root(tmp_path):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_tar_bytes(tar, "root/a.bin", b"a")
        add_tar_bytes(tar, "root/sub/b.bin", b"b")
        add_tar_bytes(tar, "root/../escape.bin", b"x")
        add_tar_bytes(tar, "/absolute.bin", b"x")
        add_tar_bytes(tar, "other/c.bin", b"x")
        link = tarfile.TarInfo("root/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    out = tmp_path / "out"
    out.mkdir()
    target = extract_tar_folder(archive, out, "root")
    assert (target / "a.bin").read_bytes() == b"a" and (
        target / "sub" / "b.bin"
    ).read_bytes() == b"b"
    assert not (target / "link").exists() and not (tmp_path / "escape.bin").exists()
    assert sorted(p.name for p in out.iterdir()) == ["root"]  # no staging folder left


def test_tar_extraction_errors(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(DataError, match="bad.tar.gz"):
        extract_tar_folder(bad, tmp_path, "root")
    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w") as tar:
        add_tar_bytes(tar, "elsewhere/x", b"x")
    with pytest.raises(DataError, match="no folder root/"):
        extract_tar_folder(empty, tmp_path, "root")
