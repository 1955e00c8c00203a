"""How much memory a device has free right now, in bytes (``None`` where it cannot be told).

CPU: the kernel's estimate of memory available without swapping (``MemAvailable`` in
``/proc/meminfo``, else free pages from ``os.sysconf``), lowered to what a cgroup memory limit
leaves (a container's limit is often far below the machine's memory). CUDA: the driver's free
memory on that device.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

CGROUP = Path("/sys/fs/cgroup")


def available_memory(device: torch.device | str) -> int | None:
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    found = [n for n in (_meminfo_available(), _cgroup_headroom()) if n is not None]
    return min(found) if found else None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _cgroup_headroom() -> int | None:
    """A cgroup v2 limit minus current use, or ``None`` without a limit."""
    try:
        limit = (CGROUP / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((CGROUP / "memory.current").read_text()))
    except (OSError, ValueError):
        return None


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PB"
