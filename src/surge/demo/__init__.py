"""The bundled demo Flask app, importable as ``surge.demo:app`` (built on first access, not at import)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["app", "create_app"]

_app: Flask | None = None


def create_app() -> Flask:
    """Build a new demo app (each call builds its own model, from the same fixed seed)."""
    from surge.demo.routes import create_app as _create

    return _create()


def __getattr__(name: str) -> Any:
    # PEP 562: ``surge.demo:app`` is built the first time someone asks for it, so importing
    # the package does no work (no Flask import, no model fitting) until a server loads the app.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
