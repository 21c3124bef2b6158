"""What a scenario file describes, as frozen data: requests with templates, checks, feeders, flows.

The pieces of a ``surge.scenario.flow.Flow`` (a ``UserGroup.behaviour``). Everything here is
validated when the file is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surge.scenario.checks import Assertion, Extraction, Template

FEEDER_MODES = ("sequential", "random", "unique")
EXHAUSTED_MODES = ("recycle", "stop")


@dataclass(frozen=True)
class FlowRequest:
    """One request of a scenario; strings may hold ``${name}`` references."""

    name: str
    label: str  # may hold ${name} too
    method: str
    url: Template  # joined to base_url after substitution unless it is absolute then
    headers: tuple[tuple[str, Template], ...] = ()
    query: tuple[tuple[str, Template], ...] = ()
    body: Template | None = None
    json_body: Any = None  # a JSON document whose strings are templates
    has_json_body: bool = False
    extract: tuple[Extraction, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    base_url: str = ""
    follow_redirects: bool | None = None  # None: as the plan says


@dataclass(frozen=True)
class Feeder:
    """Rows of a CSV file handed to users, one per iteration (as JMeter's CSV Data Set)."""

    name: str
    path: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mode: str = "sequential"  # sequential, random, unique (each row at most once in the whole run)
    on_exhausted: str = "recycle"  # recycle (start over) or stop (the user stops)
