"""The JSON paths JMeter plans use most, evaluated to the list of matches (as Jayway JsonPath returns them).

Supported: ``$``, ``.name``, ``['name']``, ``[n]`` (negative from the end), ``[*]`` and ``.*``
(every member), ``..name`` (every ``name`` at any depth). Filters (``[?(...)]``) and slices are
refused when the plan is loaded.
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(
    r"(?P<deep>\.\.)(?P<deepname>[A-Za-z_$][\w$-]*|\*)"
    r"|\.(?P<name>[A-Za-z_$][\w$-]*)|\.(?P<star>\*)"
    r"|\[(?P<index>-?\d+)\]|\[(?P<all>\*)\]|\['(?P<quoted>[^']*)'\]|\[\"(?P<dquoted>[^\"]*)\"\]"
)

Step = tuple[str, Any]


class JsonPathError(ValueError):
    pass


_CACHE: dict[str, tuple[Step, ...]] = {}


def compile_path(text: str) -> tuple[Step, ...]:
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    steps = _compile(text)
    if len(_CACHE) > 1000:
        _CACHE.clear()
    _CACHE[text] = steps
    return steps


def _compile(text: str) -> tuple[Step, ...]:
    text = text.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"invalid JSON path {text!r}: must start with $")
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise JsonPathError(
                f"JSON path {text!r} at {text[pos:]!r}: supported are .name, ['name'], [n], [*], .*, ..name"
            )
        if match.group("deep"):
            steps.append(("deep", match.group("deepname")))
        elif match.group("name") is not None:
            steps.append(("key", match.group("name")))
        elif match.group("star") or match.group("all"):
            steps.append(("all", None))
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        else:
            quoted = match.group("quoted")
            steps.append(("key", quoted if quoted is not None else match.group("dquoted")))
        pos = match.end()
    return tuple(steps)


def values(document: Any, steps: tuple[Step, ...]) -> list[Any]:
    """Every value the path reaches, in document order."""
    current = [document]
    for kind, arg in steps:
        found: list[Any] = []
        for value in current:
            if kind == "key":
                if isinstance(value, dict) and arg in value:
                    found.append(value[arg])
            elif kind == "index":
                if isinstance(value, list) and -len(value) <= arg < len(value):
                    found.append(value[arg])
            elif kind == "all":
                if isinstance(value, dict):
                    found.extend(value.values())
                elif isinstance(value, list):
                    found.extend(value)
            else:
                _deep(value, arg, found)
        current = found
    return current


def _deep(value: Any, name: str, found: list[Any]) -> None:
    if isinstance(value, dict):
        for key, member in value.items():
            if name == "*" or key == name:
                found.append(member)
            _deep(member, name, found)
    elif isinstance(value, list):
        for member in value:
            if name == "*":
                found.append(member)
            _deep(member, name, found)
