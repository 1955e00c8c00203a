"""What a run was trained with: library, torch, Python and device versions, recorded in the
run's ``config.json`` and shown by ``latentforge info``: ``environment`` is the first start's,
``resumed_environments`` lists each resume after it (with the step it resumed from)."""

from __future__ import annotations

import platform
from typing import Any

import torch

from latentforge import __version__


def environment(device: torch.device) -> dict[str, Any]:
    """Versions of latentforge, torch and Python, and the device trained on (its name, and for
    CUDA its compute capability and the CUDA version torch was built with)."""
    record: dict[str, Any] = {
        "latentforge": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "device": str(device),
    }
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        major, minor = torch.cuda.get_device_capability(index)
        record["device_name"] = torch.cuda.get_device_name(index)
        record["compute_capability"] = f"{major}.{minor}"
        record["cuda"] = torch.version.cuda
    else:
        record["device_name"] = platform.processor() or platform.machine()
    return record


def record_start(saved: dict[str, Any] | None, now: dict[str, Any], step: int) -> dict[str, Any]:
    """The environment keys of a run's ``config.json`` once a start with ``now`` is recorded:
    a new run (``saved`` is ``None``) has ``environment``; a resume (from ``step``) keeps the
    saved ``environment`` and appends ``now`` to the saved ``resumed_environments``."""
    if saved is None:
        return {"environment": now}
    record = {k: saved[k] for k in ("environment",) if isinstance(saved.get(k), dict)}
    resumes = saved.get("resumed_environments")
    resumes = resumes if isinstance(resumes, list) else []
    record["resumed_environments"] = [*resumes, {**now, "resumed_at_step": step}]
    return record
