"""surge's gunicorn application: gunicorn.app.base.BaseApplication fed with settings declared as data."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.errors import AppImportError

from surge.errors import UsageError
from surge.serve.loader import load_app


class SurgeApplication(BaseApplication):  # type: ignore[misc]
    """Runs ``app_uri`` with ``settings`` (gunicorn setting name -> value) and optional hook callables."""

    def __init__(
        self,
        app_uri: str,
        settings: dict[str, Any],
        *,
        hooks: dict[str, Callable[..., Any]] | None = None,
        directory: Path | None = None,
        state_file: Path | None = None,
        boot_error_file: Path | None = None,
    ) -> None:
        self.app_uri = app_uri
        self.settings = settings
        self.hooks = hooks or {}
        self.directory = directory
        self.state_file = state_file
        self.boot_error_file = boot_error_file
        super().__init__()

    def _current_settings(self) -> dict[str, Any]:
        """The settings in the state file (``surge scale`` records the worker count there), else ours."""
        if self.state_file is not None:
            try:
                data = json.loads(self.state_file.read_text(encoding="utf-8"))
                settings = data["settings"]
                if isinstance(settings, dict):
                    self.settings = settings
            except (OSError, ValueError, KeyError):
                pass  # keep the last good settings: a reload must not take the server down
        return self.settings

    def load_config(self) -> None:
        # Called again on every HUP, so a reload picks up the state file's settings.
        # dictConfig consumes parts of logconfig_dict, so gunicorn gets a copy.
        for name, value in {**copy.deepcopy(self._current_settings()), **self.hooks}.items():
            # Settings a different gunicorn version does not know are skipped, as gunicorn
            # itself skips unknown names in a config file.
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Any:
        try:
            return load_app(self.app_uri, directory=self.directory)
        except UsageError as exc:
            if self.boot_error_file is not None:
                # The launcher reports this line; gunicorn's own output may be on a terminal.
                with contextlib.suppress(OSError):
                    self.boot_error_file.write_text(f"{exc}\n", encoding="utf-8")
            # gunicorn's arbiter turns AppImportError into its "App failed to load" exit code.
            raise AppImportError(str(exc)) from exc
