"""Checkpoints in a run directory, written so that the last good one always survives.

    RUN/checkpoints/step-00001200/   config.json, model.safetensors   (inference weights:
                                     the EMA where there is one; ``from_pretrained`` reads these)
                                     train_weights.safetensors        (raw weights, with EMA only)
                                     state.safetensors, state.json    (optimisers, RNG, progress)
    RUN/checkpoints/latest           the name of the newest complete checkpoint

A checkpoint is written into a hidden temporary folder and renamed into place; only
then does ``latest`` move (also by rename). Older checkpoints beyond ``keep`` go last.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from latentforge.errors import CheckpointError, StorageError
from latentforge.models.base import CONFIG_NAME, WEIGHTS_NAME, GenerativeModel
from latentforge.training.state_io import flatten, unflatten
from latentforge.utils.files import (
    atomic_write_json,
    atomic_write_text,
    read_json,
    remove_dir,
    replace_dir,
    storage_error,
)
from latentforge.utils.weights import load_weights, save_weights

CHECKPOINTS = "checkpoints"
LATEST = "latest"
STATE_JSON = "state.json"
STATE_TENSORS = "state.safetensors"
TRAIN_WEIGHTS = "train_weights.safetensors"
TMP_PREFIX = ".tmp-"  # a checkpoint being written: .tmp-step-00001200-PID
CHECKPOINT_NAME = re.compile(r"step-\d{8,}")


def checkpoint_name(step: int) -> str:
    return f"step-{step:08d}"


def save_checkpoint(
    run_dir: Path,
    model: GenerativeModel,
    step: int,
    state: dict[str, Any],
    inference_weights: dict[str, torch.Tensor] | None = None,
    keep: int = 2,
) -> Path:
    """Write a complete checkpoint for ``step`` and point ``latest`` at it.

    When a write fails (a full disk, no permission) the temporary folder is removed, ``latest``
    still names the last complete checkpoint, and a :class:`StorageError` says so.
    """
    root = Path(run_dir) / CHECKPOINTS
    name = checkpoint_name(step)
    tmp = root / f"{TMP_PREFIX}{name}-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp, state=inference_weights)
        manifest: dict[str, Any] = {}
        if inference_weights is not None:
            manifest["train_weights_sha256"] = save_weights(tmp / TRAIN_WEIGHTS, model.state_dict())
        tree, tensors = flatten(state)
        manifest["state_sha256"] = save_weights(tmp / STATE_TENSORS, tensors)
        atomic_write_json(tmp / STATE_JSON, {"step": step, "state": tree, **manifest})
        # The same step saved twice (a stop at the end of an epoch) replaces the first copy.
        final = replace_dir(tmp, root / name)
        atomic_write_text(root / LATEST, name + "\n")
    except (OSError, StorageError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = str(err) if isinstance(err, StorageError) else storage_error(err, tmp)
        raise StorageError(f"checkpoint {name} not saved ({reason}); {_kept(run_dir)}") from None
    _prune(root, keep, current=name)
    return final


def _kept(run_dir: Path) -> str:
    try:
        kept = latest_checkpoint(run_dir).name
    except CheckpointError:
        return "the run has no complete checkpoint yet"
    return f"the last complete checkpoint, {kept}, is kept: continue with --resume {run_dir}"


def _complete_checkpoints(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.glob("step-*")
        if CHECKPOINT_NAME.fullmatch(p.name)
        and not p.is_symlink()
        and p.is_dir()
        and (p / STATE_JSON).is_file()
    )


def _prune(root: Path, keep: int, current: str) -> None:
    for old in _complete_checkpoints(root)[:-keep]:
        if old.name != current:
            with contextlib.suppress(OSError):  # an old checkpoint left costs space, not state
                remove_dir(old)


def latest_checkpoint(run_dir: str | Path) -> Path:
    """The newest complete checkpoint of a run, with a clear error when there is none.

    Only checkpoint folders directly inside ``RUN/checkpoints`` count: a ``latest`` that names
    anything else (``../../elsewhere``, a link out of the run) is refused, never followed.
    """
    root = Path(run_dir) / CHECKPOINTS
    if not Path(run_dir).is_dir():
        raise CheckpointError(f"run directory {run_dir} does not exist; check the path")
    pointer = root / LATEST
    if pointer.is_symlink():
        raise CheckpointError(f"{pointer} is a link; delete it to use the newest checkpoint")
    if pointer.is_file():
        named = pointer.read_text(errors="replace").strip()
        candidate = root / named
        if not CHECKPOINT_NAME.fullmatch(named) or candidate.is_symlink():
            raise CheckpointError(
                f"{pointer} names {named[:80]!r}, which is not a checkpoint folder of this run; "
                "delete it to use the newest checkpoint"
            )
        if (candidate / STATE_JSON).is_file():
            return candidate
    found = _complete_checkpoints(root) if root.is_dir() else []
    if not found:
        raise CheckpointError(
            f"{run_dir} has no checkpoint yet; train it first "
            f"(latentforge train ... --out {run_dir})"
        )
    return found[-1]


def load_checkpoint_state(checkpoint: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Raw training weights and the training state of a checkpoint, checksums verified."""
    meta = read_json(checkpoint / STATE_JSON, "training state")
    if not isinstance(meta, dict) or "state" not in meta or "state_sha256" not in meta:
        raise CheckpointError(f"{checkpoint / STATE_JSON} is not a latentforge training state")
    tensors = load_weights(checkpoint / STATE_TENSORS, meta["state_sha256"])
    if "train_weights_sha256" in meta:
        weights = load_weights(checkpoint / TRAIN_WEIGHTS, meta["train_weights_sha256"])
    else:
        model_meta = read_json(checkpoint / CONFIG_NAME, "model config")
        weights = load_weights(checkpoint / WEIGHTS_NAME, model_meta.get("weights_sha256"))
    return weights, unflatten(meta["state"], tensors)


def resolve_model_dir(path: str | Path) -> Path:
    """A run directory -> its newest checkpoint; a saved-model folder -> itself."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(
            f"{path} does not exist; give a run directory or a saved model folder"
        )
    if (path / CHECKPOINTS).is_dir():
        return latest_checkpoint(path)
    if (path / WEIGHTS_NAME).is_file():
        return path
    raise CheckpointError(
        f"{path} is neither a run directory (no {CHECKPOINTS}/) nor a saved model "
        f"(no {WEIGHTS_NAME}); train one with `latentforge train ... --out {path}`"
    )


def load_model(path: str | Path, device: str | torch.device = "cpu") -> GenerativeModel:
    """The inference model of a run (newest checkpoint, EMA weights if any) or a saved model."""
    model = GenerativeModel.from_pretrained(resolve_model_dir(path), map_location=device)
    return model.eval()
