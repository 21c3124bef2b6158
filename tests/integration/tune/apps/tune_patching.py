"""An app written for gevent: it monkey-patches the standard library when imported, as many do.

The tune must never import it in its own process (which forks the load generator's workers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gevent import monkey

monkey.patch_all()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
