"""Running the explorer: load the runs, check the address, serve with uvicorn."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import torch
import uvicorn

from latentforge.errors import ConfigError
from latentforge.explorer.api import create_app
from latentforge.explorer.session import ExploredRun


def load_runs(
    paths: list[Path], data: str | None, data_dir: str | None, device: torch.device | str
) -> list[ExploredRun]:
    """Each path named on the command line as a run with the id ``r0``, ``r1``, ..."""
    return [ExploredRun(f"r{i}", path, data, data_dir, device) for i, path in enumerate(paths)]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Fail with a clear message when ``host:port`` cannot be bound."""
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be in 1..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({err.strerror}); pick another --port"
            ) from None


def address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(runs: list[ExploredRun], host: str, port: int, open_browser: bool) -> None:
    """Serve until interrupted; warns when the address is reachable from other machines."""
    check_port(host, port)
    if not is_loopback(host):
        print(
            f"warning: listening on {host}, reachable from other machines; anyone who can "
            "reach it can see these runs and use this machine's processor",
            file=sys.stderr,
        )
    url = address(host, port)
    names = ", ".join(f"{run.id}={run.path}" for run in runs)
    print(f"latentforge explore: serving {names} at {url} (Ctrl-C stops)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(create_app(runs), host=host, port=port, log_level="warning")
    uvicorn.Server(config).run()


def free_port(host: str = "127.0.0.1") -> int:
    """A port the operating system says is free on ``host`` now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving_in_thread(
    runs: list[ExploredRun], host: str = "127.0.0.1", timeout: float = 30.0
) -> Iterator[str]:
    """Serve ``runs`` on ``host`` and a free port in a background thread (for tests and
    benchmarks); yields the base URL and stops the server on exit."""
    port = free_port(host)
    config = uvicorn.Config(create_app(runs), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise ConfigError(f"the explorer did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield address(host, port).rstrip("/")
    finally:
        server.should_exit = True
        thread.join(timeout)
