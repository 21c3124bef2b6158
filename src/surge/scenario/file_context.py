"""Where a scenario file's errors are: ``file:line: what is wrong`` for a value at a key path.

``FileContext`` wraps the checks every section of the file shares (known keys, value types,
durations, validating constructors) so each error names the line of the offending key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from surge.errors import UsageError
from surge.scenario.toml_lines import Path as KeyPath
from surge.scenario.toml_lines import key_lines, line_of
from surge.units import parse_duration_s

T = TypeVar("T")


class FileContext:
    """The file being loaded: raises errors located at a key path."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)

    def error(self, where: KeyPath, message: str) -> UsageError:
        return UsageError(f"{self.path}:{line_of(self.lines, where)}: {message}")

    def check_keys(self, table: Any, allowed: set[str], where: KeyPath, what: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(where, f"{what} must be a table")
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.error((*where, key), f"unknown key {key!r} in {what} (known: {known})")
        return table

    def typed(self, value: Any, kind: type | tuple[type, ...], where: KeyPath, what: str) -> Any:
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(where, f"{what} must be a number, not {value!r}")
        if not isinstance(value, kind):
            names = {
                str: "a string",
                int: "an integer",
                bool: "true or false",
                list: "an array",
                dict: "a table",
            }
            name = names.get(kind, "a number") if isinstance(kind, type) else "a number"
            raise self.error(where, f"{what} must be {name}, not {value!r}")
        return value

    def guard(self, where: KeyPath, action: Callable[[], T]) -> T:
        """Run a validating constructor; its UsageError gets this key's file:line."""
        try:
            return action()
        except UsageError as exc:
            if str(exc).startswith(f"{self.path}:"):
                raise
            raise self.error(where, str(exc)) from exc

    def duration(self, table: dict[str, Any], key: str, where: KeyPath) -> float:
        """``table[key]`` as seconds: a number, or a duration text such as ``"1m30s"``."""
        value = table[key]
        path = (*where, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        text = self.typed(value, str, path, key)
        result: float = self.guard(path, lambda: parse_duration_s(text))
        return result
