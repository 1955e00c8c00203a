"""A real explorer server on a free loopback port, in a thread, for the end-to-end tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from latentforge.explorer.api import create_app
from latentforge.explorer.server import load_runs

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def live_server(*paths: Path, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``paths`` on ``127.0.0.1:<free port>``; yields the base URL; stops on exit."""
    app = create_app(load_runs(list(paths), None, None, "cpu"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the explorer did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
