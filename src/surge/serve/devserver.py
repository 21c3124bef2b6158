"""Flask's development server (``app.run``) for the flask-threaded and flask-processes modes.

For comparison with gunicorn only: Flask itself warns that it is not a production server.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from surge.errors import UsageError
from surge.serve.loader import load_app
from surge.serve.master import EXIT_APP_LOAD_ERROR
from surge.serve.standalone import SharedRotatingFileHandler


def _log_to_files(state: dict[str, Any]) -> None:
    log_dir = Path(state["log_dir"])
    log_dir.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(message)s")

    def handler(name: str) -> logging.Handler:
        h = SharedRotatingFileHandler(
            str(log_dir / name), maxBytes=state["log_max_bytes"], backupCount=state["log_backups"]
        )
        h.setFormatter(formatter if name == "error.log" else logging.Formatter("%(message)s"))
        return h

    # werkzeug logs one line per request: that is the access log.
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    werkzeug.addHandler(handler("access.log"))
    root = logging.getLogger()
    root.setLevel(state["log_level"].upper())
    root.addHandler(handler("error.log"))


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def run_dev_server(state: dict[str, Any], ready_fd: int | None) -> int:
    try:
        app = load_app(state["app"], directory=Path(state["directory"]))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_APP_LOAD_ERROR
    if not callable(getattr(app, "run", None)):
        print(f"{state['app']} has no run() method: the flask-* modes need a Flask app", file=sys.stderr)
        return EXIT_APP_LOAD_ERROR
    if state["log_dir"]:
        _log_to_files(state)
    pidfile = Path(state["pidfile"])
    pidfile.write_text(f"{os.getpid()}\n", encoding="ascii")
    # SIGTERM's default would skip the finally below and leave the pidfile behind.
    signal.signal(signal.SIGTERM, _exit_on_term)
    # The development server only starts listening inside app.run, so the launcher polls the
    # port instead of waiting for ready_fd.
    threaded = state["mode"] == "flask-threaded"
    try:
        app.run(
            host=state["host"],
            port=state["port"],
            threaded=threaded,
            processes=1 if threaded else state["workers"],
            use_reloader=False,
            debug=False,
        )
    finally:
        try:
            if pidfile.read_text(encoding="ascii").strip() == str(os.getpid()):
                pidfile.unlink()
        except OSError:
            pass
    return 0
