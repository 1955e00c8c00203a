"""Stopping a run at the end of a training cycle when asked to (Ctrl-C; SIGTERM under torchrun),
so that it ends as an epoch does and resumes exactly."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def stop_on_signals(request_stop: Callable[[], None], distributed: bool = False) -> Iterator[None]:
    """While inside, the first SIGINT (Ctrl-C) calls ``request_stop`` instead of raising, so the
    loop can stop at the end of a cycle; in one process a second Ctrl-C raises
    ``KeyboardInterrupt`` at once. Under torchrun (``distributed``) SIGTERM stops the same way
    and later signals are ignored: Ctrl-C reaches every process from the terminal and again
    from torchrun, which waits 30 s for the processes to end before it kills them. Does nothing
    outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM) if distributed else (signal.SIGINT,)

    def handle(signum, frame) -> None:
        request_stop()
        if not distributed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {signum: signal.signal(signum, handle) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
