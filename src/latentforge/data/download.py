"""Standard datasets from the web: where they are published (``REMOTE_FILES``, with the
published checksums), checksummed downloads and safe archive extraction, and ``fetch_files``:
download what is missing, or say exactly where to put the files by hand.

A file is streamed into a temporary file beside its target while its digest is computed; only
when the digest matches the published one is it moved into place with ``os.replace``, so a
half-finished or corrupt download never appears under the final name.

``REMOTE_FILES[name]`` lists the files of dataset ``name``; each file's mirrors are tried in
order. The MD5 digests are the ones the dataset authors publish (and torchvision checks).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from latentforge.data.sources import DATA_DIR_ENV, LoadRequest
from latentforge.errors import DataError

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_TIMEOUT_S = 60
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class RemoteFile:
    """A file to fetch: its name on disk, mirror URLs (tried in order) and a published digest."""

    name: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None

    def expected_digest(self) -> tuple[str, str]:
        """``(algorithm, hex digest)`` to check the file against (sha256 preferred)."""
        if self.sha256:
            return "sha256", self.sha256.lower()
        if self.md5:
            return "md5", self.md5.lower()
        raise ValueError(f"remote file {self.name} has no checksum")


class DownloadUnavailable(DataError):
    """No mirror could be reached (offline, firewalled, server down)."""


def file_digest(path: str | Path, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def verify_file(path: Path, remote: RemoteFile) -> None:
    """``DataError`` naming ``path`` unless its digest is the published one."""
    algorithm, expected = remote.expected_digest()
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise DataError(
            f"{path} has {algorithm} {actual} but {remote.name} should have {expected}: the file "
            "is corrupt or not the original; delete it and run again to download it"
        )


def _fetch_into(url: str, handle: BinaryIO, hasher: Any) -> None:
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
        while chunk := response.read(_CHUNK):
            hasher.update(chunk)
            handle.write(chunk)


def download(remote: RemoteFile, directory: Path) -> Path:
    """Fetch ``remote`` into ``directory/remote.name`` with digest check and atomic move.

    Raises ``DownloadUnavailable`` when no mirror answers and ``DataError`` on a digest mismatch
    (the temporary file is deleted; nothing appears under the final name).
    """
    target = directory / remote.name
    algorithm, expected = remote.expected_digest()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=directory)
    except OSError as error:
        raise DataError(
            f"cannot write into {directory} ({error}); choose a writable data directory with "
            "--data-dir or LATENTFORGE_DATA"
        ) from None
    tmp = Path(tmp_name)
    failures: list[str] = []
    try:
        with os.fdopen(fd, "wb") as handle:
            for url in remote.urls:
                hasher = hashlib.new(algorithm)
                handle.seek(0)
                handle.truncate()
                log.info("downloading %s", url)
                try:
                    _fetch_into(url, handle, hasher)
                except NETWORK_ERRORS as error:
                    failures.append(f"{url}: {error}")
                    continue
                break
            else:
                raise DownloadUnavailable("; ".join(failures))
        actual = hasher.hexdigest()
        if actual != expected:
            raise DataError(
                f"downloaded {remote.name} from {url} has {algorithm} {actual}, expected "
                f"{expected}: the download is corrupt or the file changed upstream; nothing was "
                f"kept - run again, or place a verified copy at {target}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _safe_member_path(name: str, root: str) -> PurePosixPath | None:
    """The member's relative path if it lies under ``root/`` without escaping; else ``None``."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != root:
        return None
    return path


def extract_tar_folder(archive: Path, directory: Path, root: str) -> Path:
    """Extract the regular files under ``root/`` in ``archive`` to ``directory/root``, atomically.

    Links, devices and paths outside ``root/`` are skipped, so an archive cannot write anywhere
    else. Files go to a temporary folder first, which is renamed into place when complete.
    """
    target = directory / root
    staging = Path(tempfile.mkdtemp(prefix=f".{root}.", dir=directory))
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                relative = _safe_member_path(member.name, root)
                if relative is None or not member.isfile():
                    continue
                destination = staging.joinpath(*relative.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                with source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
        extracted = staging / root
        if not extracted.is_dir():
            raise DataError(f"{archive} has no folder {root}/; delete it and download it again")
        os.replace(extracted, target)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataError(
            f"{archive} cannot be extracted ({error}); delete it and download it again"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def missing_data_error(
    title: str,
    request: LoadRequest,
    directory: Path,
    remotes: Sequence[RemoteFile],
    alternatives: str,
    reason: str,
) -> DataError:
    """The message for absent files: which files, which directory, how to choose it, and why."""
    files = "; ".join(f"{remote.name} (from {remote.urls[0]})" for remote in remotes)
    return DataError(
        f"{title} is not in the data directory {request.data_dir} and {reason}. Put these files "
        f"in {directory}: {files}{alternatives}. Choose the data directory with --data-dir or "
        f"the {DATA_DIR_ENV} environment variable."
    )


def fetch_files(
    title: str,
    request: LoadRequest,
    directory: Path,
    remotes: Sequence[RemoteFile],
    alternatives: str = "",
) -> list[Path]:
    """Download ``remotes`` into ``directory`` (checksummed), or raise the guidance error."""
    if not request.download:
        reason = "downloading is switched off (download=False)"
        raise missing_data_error(title, request, directory, remotes, alternatives, reason)
    paths = []
    for remote in remotes:
        try:
            paths.append(download(remote, directory))
        except DownloadUnavailable as error:
            reason = f"could not be downloaded ({error})"
            raise missing_data_error(
                title, request, directory, remotes, alternatives, reason
            ) from None
    return paths


_FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"


def _mirrored(mirrors: tuple[str, ...], digests: dict[str, str]) -> tuple[RemoteFile, ...]:
    return tuple(
        RemoteFile(name, tuple(mirror + name for mirror in mirrors), md5=md5)
        for name, md5 in digests.items()
    )


REMOTE_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "fashion-mnist": _mirrored(
        _FASHION_MNIST_MIRRORS,
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
    "mnist": _mirrored(
        _MNIST_MIRRORS,
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    # The *binary* version (records of 1 label byte + 3072 pixel bytes), not the pickled one.
    "cifar10": (
        RemoteFile(
            "cifar-10-binary.tar.gz", (_CIFAR10_URL,), md5="c32a1d4ab5d03f1284b67883e8d87530"
        ),
    ),
}
