"""What a run was trained with: library, torch, Python and device versions, recorded in the
run's ``config.json`` and shown by ``latentforge info``."""

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
