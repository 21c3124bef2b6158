"""Flask's development server (``app.run``) for the flask-threaded and flask-processes modes.

For comparison with gunicorn only: Flask itself warns that it is not a production server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from surge.errors import SurgeError, UsageError
from surge.serve.handshake import EXIT_APP_LOAD_ERROR, announce_ready
from surge.serve.loader import load_app
from surge.serve.runfiles import ServerState, read_pid, write_pid
from surge.serve.standalone import SharedRotatingFileHandler

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer


def _log_to_files(state: ServerState, log_dir_name: str) -> None:
    log_dir = Path(log_dir_name)
    log_dir.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(message)s")

    def handler(name: str) -> logging.Handler:
        h = SharedRotatingFileHandler(
            str(log_dir / name), maxBytes=state.log_max_bytes, backupCount=state.log_backups
        )
        h.setFormatter(formatter if name == "error.log" else logging.Formatter("%(message)s"))
        return h

    # werkzeug logs one line per request: that is the access log.
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    werkzeug.addHandler(handler("access.log"))
    root = logging.getLogger()
    root.setLevel(state.log_level.upper())
    root.addHandler(handler("error.log"))


def _stop_on_signal(server: BaseWSGIServer) -> None:
    """INT and TERM end ``serve_forever`` in this process; the first is enough, the rest are ignored.

    Nothing is raised from the handler: a signal can land in code that swallows exceptions (the
    stdlib's at-fork hooks print "Exception ignored" with a traceback and carry on), and Ctrl-C
    reaches this process twice (from the terminal, and passed on by surge serve). shutdown() waits
    for the loop to end, so it runs in a thread; the loop notices within its poll interval.
    """
    server_pid = os.getpid()
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        # A forked request process inherits this handler: it finishes its request and exits.
        if os.getpid() != server_pid or stopping.is_set():
            return
        stopping.set()
        threading.Thread(target=server.shutdown, name="surge-stop", daemon=True).start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handle)


def run_dev_server(state: ServerState, ready_fd: int | None) -> int:
    from werkzeug.serving import make_server

    try:
        app = load_app(state.app, directory=Path(state.directory))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_APP_LOAD_ERROR
    if not callable(getattr(app, "run", None)):
        print(f"{state.app} has no run() method: the flask-* modes need a Flask app", file=sys.stderr)
        return EXIT_APP_LOAD_ERROR
    if state.log_dir:
        _log_to_files(state, state.log_dir)
    threaded = state.mode == "flask-threaded"
    # What app.run does, minus its signal handling: werkzeug's server, built here so that a
    # signal can stop it (see _stop_on_signal); it says it is ready on the launcher's pipe.
    server = make_server(
        state.host, state.port, app, threaded=threaded, processes=1 if threaded else state.workers
    )
    # Handlers first, then the pidfile: a Ctrl-C between the two would leave a stale pidfile.
    _stop_on_signal(server)
    pidfile = Path(state.pidfile)
    write_pid(pidfile, os.getpid())
    try:
        server.log_startup()
        # Ready only now that a Ctrl-C stops the server cleanly: a launcher that polled the port
        # said "ready" while a signal still met the start-up handler (exit 130, not "stopped").
        announce_ready(ready_fd)
        if ready_fd is not None:
            with contextlib.suppress(OSError):  # the app may have closed it: nothing to hold open
                os.close(ready_fd)  # request processes must not hold the launcher's pipe open
        server.serve_forever()  # closes the server (and waits for request processes) when it ends
    finally:
        # Only our own pidfile: another server may have been started from it since.
        with contextlib.suppress(OSError, SurgeError):
            if read_pid(pidfile) == os.getpid():
                pidfile.unlink()
    return 0
