"""A real explorer server on a free loopback port, in a thread, for the end-to-end tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from latentforge.explorer.server import free_port, load_runs, serving_in_thread

__all__ = ["free_port", "live_server"]


@contextlib.contextmanager
def live_server(*paths: Path) -> Iterator[str]:
    """Serve ``paths`` (ids r0, r1, ...) on ``127.0.0.1:<free port>``; yields the base URL."""
    with serving_in_thread(load_runs(list(paths), None, None, "cpu")) as url:
        yield url
