"""Check that the app imports, in a separate interpreter, before any candidate is served.

The tune's own process forks the load generator, so it must not import the app (an app may
monkey-patch the standard library, start threads or open connections at import time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from surge.errors import SurgeError, UsageError

IMPORT_TIMEOUT_S = 120.0
_CHECK = """
import json, sys
from surge.errors import SurgeError
from surge.serve.loader import load_app
try:
    app = load_app(sys.argv[1], directory=__import__("pathlib").Path(sys.argv[2]))
except SurgeError as exc:
    print(json.dumps({"error": str(exc)}))
    raise SystemExit(0)
print(json.dumps({"flask": callable(getattr(app, "run", None))}))
"""


@dataclass(frozen=True)
class AppCheck:
    flask: bool  # has Flask's run(): the development server can serve it


def check_app(app: str, directory: Path) -> AppCheck:
    """Import ``app`` (MODULE:APP) in a fresh interpreter; a failure is a UsageError with its reason."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHECK, app, str(directory)],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise SurgeError(f"importing {app} took more than {IMPORT_TIMEOUT_S:g}s; it was stopped") from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"importing {app} failed: {detail}")
    found = json.loads(lines[-1])
    if "error" in found:
        raise UsageError(str(found["error"]))
    return AppCheck(flask=bool(found.get("flask")))
