"""Fetch missing standard-dataset files, or say exactly where to put them by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from latentforge.data.download import DownloadUnavailable, RemoteFile, download
from latentforge.data.sources import DATA_DIR_ENV, LoadRequest
from latentforge.errors import DataError


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
