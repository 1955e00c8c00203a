"""Stopping a run at the end of a training cycle when asked to, so that it ends as an epoch
does and resumes exactly: Ctrl-C (SIGINT), or SIGTERM, which a cluster's scheduler sends before
it takes the machine back (and ``kill`` sends by default)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# What a stopped process exits with: 128 + the signal's number, as a shell reports it.
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
SAID_AS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


@contextlib.contextmanager
def stop_on_signals(
    request_stop: Callable[[signal.Signals], None], distributed: bool = False
) -> Iterator[None]:
    """While inside, the first SIGINT or SIGTERM calls ``request_stop(signal)`` instead of
    ending the process, so the loop can stop at the end of a cycle. In one process a second
    signal of the same kind acts at once (Ctrl-C raises ``KeyboardInterrupt``, SIGTERM ends
    the process; the last checkpoint is intact). Under torchrun (``distributed``) later signals
    are ignored: Ctrl-C reaches every process from the terminal and again from torchrun, which
    waits 30 s for the processes to end before it kills them. Does nothing outside the main
    thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    at_once = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}

    def handle(signum, frame) -> None:
        request_stop(signal.Signals(signum))
        if not distributed:
            signal.signal(signum, at_once[signum])

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
