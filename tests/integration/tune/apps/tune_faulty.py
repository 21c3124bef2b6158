"""A WSGI app that hangs under gunicorn's sync worker, kills its whole server under gthread, and
answers under gevent: for the tune's fault tests."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable
from typing import Any


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if not environ.get("wsgi.multithread"):
        time.sleep(3600)  # sync: the worker hangs (the server stops it after its graceful timeout)
    elif not _gevent_patched():
        os.kill(os.getppid(), signal.SIGKILL)  # gthread: the master dies...
        os._exit(1)  # ...and so does this worker: the whole server has crashed
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
