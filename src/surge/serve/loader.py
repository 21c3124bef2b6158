"""Import a ``MODULE:APP`` WSGI app and turn every way that can fail into one clear line."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

from surge.errors import UsageError


def _where(exc: BaseException) -> str:
    """The innermost file:line of the exception, which is where the user has to look."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({exc.filename}:{exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" ({last.filename}:{last.lineno})"


def ensure_on_path(directory: Path) -> None:
    """Make modules in ``directory`` importable, as gunicorn does for its working directory."""
    entry = str(directory)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def load_app(uri: str, *, directory: Path | None = None) -> Any:
    """Import ``uri`` (``module:attr`` or ``module:factory(args)``) and return the WSGI callable.

    Raises UsageError with one line for a missing module, a module that fails to import,
    a missing attribute or an object that is not callable.
    """
    # gunicorn.util is what gunicorn's own workers use, so a name accepted here is accepted there.
    from gunicorn.errors import AppImportError
    from gunicorn.util import import_app

    if directory is not None:
        ensure_on_path(directory)
    module = uri.split(":", 1)[0]
    try:
        app = import_app(uri)
    except ModuleNotFoundError as exc:
        missing = exc.name or "?"
        if module == missing or module.startswith(missing + "."):
            raise UsageError(
                f"cannot import {module!r}: no module named {missing!r}"
                " (check the name, and run from the folder that contains it)"
            ) from exc
        raise UsageError(f"importing {module!r} failed: no module named {missing!r}{_where(exc)}") from exc
    except AppImportError as exc:
        raise UsageError(f"{uri}: {exc}") from exc
    except Exception as exc:
        raise UsageError(f"importing {module!r} failed: {type(exc).__name__}: {exc}{_where(exc)}") from exc
    if not callable(app):
        raise UsageError(f"{uri} is a {type(app).__name__}, not a WSGI application (not callable)")
    return app
