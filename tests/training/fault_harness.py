"""The fault trials of ``benchmarks/fault_trials.py`` for the tests (one copy of the code that
starts, kills and checks real training processes), and a process id that is surely dead."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[2] / "benchmarks" / "fault_trials.py"
_spec = importlib.util.spec_from_file_location("fault_trials", HARNESS)
ft = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fault_trials", ft)  # dataclasses look their module up by name
_spec.loader.exec_module(ft)


def dead_pid() -> int:
    """The id of a process that has ended (not reused so soon)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
