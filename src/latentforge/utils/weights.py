"""Weights on disk: safetensors files written atomically, with a sha256 to check them by."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from latentforge.errors import CheckpointError
from latentforge.utils.files import atomic_write


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_weights(path: Path, state: dict[str, Tensor]) -> str:
    """Write ``state`` as safetensors atomically; return the file's sha256."""
    tensors = {key: value.detach().cpu().clone().contiguous() for key, value in state.items()}
    atomic_write(path, lambda tmp: _write_safetensors(tensors, tmp))
    return file_sha256(path)


def _write_safetensors(tensors: dict[str, Tensor], path: Path) -> None:
    """``save_file``, with its I/O failures (reported as ``SafetensorError``) as ``OSError``."""
    try:
        save_file(tensors, str(path), metadata={"format": "pt"})
    except SafetensorError as err:
        code = re.search(r"(?:os error|code:) (\d+)", str(err))
        number = int(code.group(1)) if code else errno.EIO
        raise OSError(number, os.strerror(number)) from None


def load_weights(path: Path, expected_sha256: str | None = None) -> dict[str, Tensor]:
    """Read a safetensors file, checking its checksum when one was recorded."""
    if not path.is_file():
        raise CheckpointError(f"missing weights file {path}; the checkpoint is incomplete")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise CheckpointError(
            f"{path} does not match the checksum recorded beside it: the file was modified or "
            "is corrupt; restore it or retrain"
        )
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"cannot read weights {path}: {err}; the file is corrupt") from None


def load_state_exactly(module: nn.Module, state: dict[str, Tensor], mismatch: str) -> None:
    """``module.load_state_dict(state, strict=True)``; weights that do not fit raise a
    :class:`CheckpointError` ``"<mismatch>: <the first line of torch's message>"``."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise CheckpointError(f"{mismatch}: {first}") from None
