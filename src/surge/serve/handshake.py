"""The start-up handshake between ``surge serve`` (the launcher) and the server process it starts.

Each worker (or the Flask development server) writes its pid, one line, to the file descriptor
named in ``SURGE_READY_FD`` once the app is loaded; the launcher waits for one line per worker.
A server that cannot start exits with gunicorn's arbiter codes, so the launcher reads gunicorn's
and the development server's failures the same way. Imported by the server process before the app
(and before gevent patches the stdlib), so it imports nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import os

READY_FD_ENV = "SURGE_READY_FD"
EXIT_WORKER_BOOT_ERROR = 3
EXIT_APP_LOAD_ERROR = 4
EXIT_INTERRUPTED = 130


def announce_ready(fd: int | None) -> None:
    """Tell the launcher this process has loaded the app; harmless once the launcher has gone."""
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))


def take_ready_fd() -> int | None:
    """The launcher's descriptor, removed from the environment so the app's children do not inherit it."""
    value = os.environ.pop(READY_FD_ENV, None)
    return int(value) if value and value.isdigit() else None
