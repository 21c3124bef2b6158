"""Scenario features as pure functions: ``${var}`` templates, JSON paths, extraction and assertions.

Failure messages follow JMeter's assertions, so a report groups them the same way:
``Test failed: text expected to contain /foo/`` (Response Assertion), ``Value expected to be
'x', but found 'y'`` (JSON Assertion), ``The operation lasted too long: ...`` (Duration Assertion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surge.errors import UsageError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_PATH_TOKEN = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[(-\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


# -- templates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A string with ``${name}`` references; unknown names stay as written (as JMeter does)."""

    parts: tuple[str, ...]  # literal, name, literal, name, ..., literal

    @classmethod
    def parse(cls, text: str) -> Template:
        return cls(tuple(_VAR.split(text)))

    @property
    def is_static(self) -> bool:
        return len(self.parts) == 1

    @property
    def names(self) -> tuple[str, ...]:
        return self.parts[1::2]

    def render(self, variables: Mapping[str, str]) -> str:
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
            else:
                value = variables.get(part)
                out.append(f"${{{part}}}" if value is None else value)
        return "".join(out)


def render_json(value: Any, variables: Mapping[str, str]) -> Any:
    """A JSON body with ``${name}`` substituted inside its strings (keys included)."""
    if isinstance(value, str):
        return Template.parse(value).render(variables)
    if isinstance(value, list):
        return [render_json(v, variables) for v in value]
    if isinstance(value, dict):
        return {render_json(k, variables): render_json(v, variables) for k, v in value.items()}
    return value


def json_has_template(value: Any) -> bool:
    if isinstance(value, str):
        return not Template.parse(value).is_static
    if isinstance(value, list):
        return any(json_has_template(v) for v in value)
    if isinstance(value, dict):
        return any(json_has_template(k) or json_has_template(v) for k, v in value.items())
    return False


# -- JSON paths ------------------------------------------------------------------------------------


def parse_json_path(text: str) -> tuple[str | int, ...]:
    """``$.a.b[0].c`` or ``$['a'][0]`` -> ("a", "b", 0, "c"); raises UsageError on anything else."""
    if not text.startswith("$"):
        raise UsageError(f"invalid JSON path {text!r}: must start with $ (example: $.user.tags[0])")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if match is None:
            raise UsageError(
                f"invalid JSON path {text!r} at {text[pos:]!r} (supported: .name, [index], ['name'])"
            )
        name, index, negative, quoted, dquoted = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None or negative is not None:
            steps.append(int(index if index is not None else negative))
        else:
            steps.append(quoted if quoted is not None else dquoted)
        pos = match.end()
    return tuple(steps)


_MISSING = object()


def json_lookup(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path``, or ``MISSING`` (use ``is_missing``)."""
    value = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


def is_missing(value: Any) -> bool:
    return value is _MISSING


def json_text(value: Any) -> str:
    """A JSON value as a variable's text: strings as they are, the rest as JSON (true, 42, [..])."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


# -- extraction ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extraction:
    """Store part of a response in ``variable``: a JSON path, a regex group, or a header."""

    variable: str
    source: str  # "json", "regex" or "header"
    expression: str
    group: int = 1
    default: str | None = None
    json_path: tuple[str | int, ...] = ()

    def __post_init__(self) -> None:
        if self.source == "json":
            object.__setattr__(self, "json_path", parse_json_path(self.expression))
        elif self.source == "regex":
            pattern = compile_regex(self.expression)
            if self.group > pattern.groups:
                raise UsageError(
                    f"regex {self.expression!r} has {pattern.groups} group(s): no group {self.group}"
                )
        elif self.source != "header":
            raise UsageError(f"unknown extraction source {self.source!r}")

    def extract(self, status: int, headers: Mapping[str, str], body: bytes, parsed: list[Any]) -> str | None:
        """The extracted text, or the default (None when there is none) if it is not found."""
        if self.source == "header":
            return headers.get(self.expression.lower(), self.default)
        if self.source == "regex":
            match = compile_regex(self.expression).search(body.decode("utf-8", errors="replace"))
            if match is None or match.group(self.group) is None:
                return self.default
            return match.group(self.group)
        document = parse_json_body(body, parsed)
        value = _MISSING if document is _MISSING else json_lookup(document, self.json_path)
        return self.default if value is _MISSING else json_text(value)


def parse_json_body(body: bytes, cache: list[Any]) -> Any:
    """The body as JSON, parsed at most once per response (``cache`` is a one-item list)."""
    if not cache:
        try:
            cache.append(json.loads(body))
        except ValueError:
            cache.append(_MISSING)
    return cache[0]


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def compile_regex(expression: str) -> re.Pattern[str]:
    pattern = _REGEX_CACHE.get(expression)
    if pattern is None:
        try:
            pattern = re.compile(expression)
        except re.error as exc:
            raise UsageError(f"invalid regex {expression!r}: {exc}") from exc
        _REGEX_CACHE[expression] = pattern
    return pattern


# -- assertions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assertion:
    """One check of a response; ``check`` returns None, or the failure message JMeter would write."""

    kind: str  # status, contains, not_contains, matches, json, max_elapsed
    expected: Any
    json_path: tuple[str | int, ...] = ()
    path_text: str = ""

    def __post_init__(self) -> None:
        if self.kind == "matches":
            compile_regex(self.expected)
        elif self.kind == "json":
            object.__setattr__(self, "json_path", parse_json_path(self.path_text))
        elif self.kind not in ("status", "contains", "not_contains", "max_elapsed"):
            raise UsageError(f"unknown assertion {self.kind!r}")

    def check(
        self,
        status: int,
        body: bytes,
        elapsed_ms: int,
        parsed: list[Any],
        variables: Mapping[str, str] | None = None,
    ) -> str | None:
        """None when the response passes; else the failure message. Expected texts may hold ${var}."""
        kind = self.kind
        expected = self.expected
        if variables is not None and isinstance(expected, str) and "${" in expected:
            expected = Template.parse(expected).render(variables)
        if kind == "status":
            allowed = self.expected if isinstance(self.expected, tuple) else (self.expected,)
            if status in allowed:
                return None
            codes = "|".join(str(s) for s in allowed)
            return f"Test failed: code expected to equal /{codes}/ but was /{status}/"
        if kind == "max_elapsed":
            if elapsed_ms <= self.expected:
                return None
            return (
                f"The operation lasted too long: It took {elapsed_ms:,} milliseconds, but should not have "
                f"lasted longer than {self.expected:,} milliseconds."
            )
        if kind == "json":
            document = parse_json_body(body, parsed)
            value = _MISSING if document is _MISSING else json_lookup(document, self.json_path)
            if value is _MISSING:
                return f"No results for path: {self.path_text}"
            if value == expected or json_text(value) == json_text(expected):
                return None
            return f"Value expected to be '{json_text(expected)}', but found '{json_text(value)}'"
        text = body.decode("utf-8", errors="replace")
        if kind == "contains":
            return None if expected in text else f"Test failed: text expected to contain /{expected}/"
        if kind == "not_contains":
            return None if expected not in text else f"Test failed: text expected not to contain /{expected}/"
        if compile_regex(expected).search(text) is not None:
            return None
        return f"Test failed: text expected to match /{expected}/"
