"""``latentforge explore``: options with help, loopback by default, a warning when exposed,
one-line errors with exit status 2."""

from __future__ import annotations

import socket

import pytest
import uvicorn

from latentforge.cli.main import build_parser, main
from latentforge.explorer.server import address, is_loopback
from tests.cli.test_cli import assert_one_line_error, run_cli
from tests.explorer.live import free_port


def explore_parser():
    verbs = next(a for a in build_parser()._actions if a.dest == "verb")
    return verbs.choices["explore"]


def test_every_option_has_a_help_line():
    parser = explore_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings or action.dest} has no help"
    args = parser.parse_args(["runs/demo"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8000, False)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False),
     ("192.168.1.4", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_address_brackets_ipv6():
    assert address("::1", 8000) == "http://[::1]:8000/"
    assert address("127.0.0.1", 81) == "http://127.0.0.1:81/"


@pytest.fixture
def no_serving(monkeypatch):
    """uvicorn's serving loop replaced by a record of the config it was given."""
    calls = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: calls.append(self.config))
    return calls


def test_serves_on_loopback_and_warns_when_exposed(explorer_runs, no_serving, capsys):
    port = free_port()
    code, out, err = run_cli(capsys, "explore", str(explorer_runs["vae"]), "--port", str(port))
    assert code == 0 and f"http://127.0.0.1:{port}/" in out and "warning" not in err
    assert no_serving[-1].host == "127.0.0.1" and no_serving[-1].port == port
    code, _, err = run_cli(
        capsys, "explore", str(explorer_runs["vae"]), "--host", "0.0.0.0", "--port", str(port)
    )
    assert code == 0 and "warning: listening on 0.0.0.0, reachable from other machines" in err


def test_errors_are_one_line(explorer_runs, tmp_path, capsys, no_serving):
    code, _, err = run_cli(capsys, "explore", str(tmp_path / "missing"))
    assert_one_line_error(code, err, "does not exist")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_cli(capsys, "explore", str(explorer_runs["vae"]), "--port", str(port))
    assert_one_line_error(code, err, f"cannot listen on 127.0.0.1:{port}", "pick another --port")
    code, _, err = run_cli(capsys, "explore", str(explorer_runs["vae"]), "--port", "70000")
    assert_one_line_error(code, err, "--port must be in 1..65535")
    code, _, err = run_cli(capsys, "explore", str(explorer_runs["vae"]), "--data", "test")
    assert_one_line_error(code, err, "has no 'test' split")
    code, _, err = run_cli(
        capsys, "explore", str(explorer_runs["vae"]), "--data", str(tmp_path / "none.npz")
    )
    assert code == 2 and "none.npz" in err and "Traceback" not in err
    assert not no_serving
    assert main(["explore", str(explorer_runs["vae"]), "--port", str(free_port())]) == 0


def test_open_starts_the_browser_on_the_address(explorer_runs, no_serving, monkeypatch, capsys):
    import threading
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setattr(
        threading, "Timer", lambda delay, fn, args: type("T", (), {"start": lambda s: fn(*args)})()
    )
    port = free_port()
    code, _, _ = run_cli(
        capsys, "explore", str(explorer_runs["vae"]), "--port", str(port), "--open"
    )
    assert code == 0 and opened == [f"http://127.0.0.1:{port}/"]
