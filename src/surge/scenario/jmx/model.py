"""A JMeter plan resolved for surge, as frozen data: groups, their trees of controllers and samplers.

``surge.scenario.jmx.resolve`` builds it from the XML (scopes applied: each sampler carries the
defaults, headers, timers, pre/post-processors and assertions that apply to it, outermost first),
``surge.scenario.jmx.runtime`` runs it, ``surge.scenario.jmx.listing`` prints it (``--dry-run``).
Strings that may change at run time are ``Expr``; the rest was folded to text when loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from surge.scenario.jmx.conditions import Condition
from surge.scenario.jmx.elements import Unsupported
from surge.scenario.jmx.expressions import Expr

# -- what applies to a sampler -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Timer:
    """A pause before each sampler in scope. ``kind``: constant, uniform, gaussian, poisson, throughput."""

    kind: str
    delay_ms: Expr
    range_ms: Expr
    per_minute: Expr | None = None  # Constant Throughput Timer: samples per minute
    calc_mode: int = 0  # 0 this user, 1 all users, 2 this group's users, 3/4 shared (process)


@dataclass(frozen=True, eq=False)
class UserParameters:
    names: tuple[str, ...]
    columns: tuple[tuple[Expr, ...], ...]  # one column of values per user (user i takes column i mod n)
    per_iteration: bool


@dataclass(frozen=True, eq=False)
class Extractor:
    """Regular Expression, Boundary or JSON extractor (``kind``: regex, boundary, json)."""

    kind: str
    name: str
    variables: tuple[str, ...]
    expressions: tuple[Expr, ...]  # regex, "left\x00right" boundaries, or JSON paths
    match_numbers: tuple[Expr, ...]
    defaults: tuple[Expr, ...]
    template: str = "$1$"
    field: str = "body"  # body, headers, request_headers, url, code, message
    default_empty: bool = False
    concat: bool = False


@dataclass(frozen=True, eq=False)
class Assertion:
    """Response, Duration or Size assertion (``kind``: response, duration, size)."""

    kind: str
    name: str
    field: str = "body"
    test_type: int = 2
    patterns: tuple[Expr, ...] = ()
    assume_success: bool = False
    custom_message: str = ""
    limit: Expr | None = None  # duration ms, or size bytes
    operator: int = 1  # size: 1 =, 2 !=, 3 >, 4 <, 5 >=, 6 <=


# -- samplers and controllers --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Scoped:
    """What applies to one sampler from its scopes, outermost first."""

    pre: tuple[UserParameters, ...] = ()
    timers: tuple[Timer, ...] = ()
    post: tuple[Extractor, ...] = ()
    assertions: tuple[Assertion, ...] = ()


@dataclass(frozen=True, eq=False)
class HttpSampler:
    label: Expr
    method: str
    url: Expr
    headers: tuple[tuple[str, Expr], ...]
    body: Expr | None
    body_bytes: bytes | None  # a file sent as the body
    follow_redirects: bool
    auto_redirects: bool
    scoped: Scoped
    name: str = ""


@dataclass(frozen=True, eq=False)
class FlowAction:
    """Flow Control Action (TestAction): pause, stop the user, go to the next iteration."""

    name: str
    action: int  # 0 stop, 1 pause, 2 stop now, 3 restart next loop (iteration), 5 break loop
    duration_ms: Expr
    scoped: Scoped


@dataclass(frozen=True, eq=False)
class Controller:
    """A logic controller: ``kind`` is simple, loop, transaction, if, once, throughput, random,
    random_order or interleave; the fields of other kinds keep their defaults."""

    kind: str
    name: str
    children: tuple[Node, ...]
    loops: Expr | None = None  # loop: -1 for ever
    condition: Condition | None = None
    evaluate_all: bool = False
    parent_sample: bool = False  # transaction: JMeter's "Generate parent sample"
    include_timers: bool = True
    by_number: bool = False  # throughput: total executions rather than a percentage
    per_user: bool = True
    value: Expr | None = None  # throughput: the number or the percentage


Node = HttpSampler | FlowAction | Controller


# -- configuration applied per user and per iteration ------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    """CSV Data Set Config: ``path`` resolved (None when missing; ``written`` is what the plan says)."""

    name: str
    written: str
    path: Path | None
    names: tuple[str, ...]  # empty: the file's first line names the columns
    delimiter: str
    quoted: bool
    recycle: bool
    stop_user: bool
    share: str  # all, group, user
    ignore_first_line: bool
    encoding: str = "utf-8"


@dataclass(frozen=True)
class RandomVariable:
    name: str
    minimum: int
    maximum: int
    output_format: str
    per_user: bool


@dataclass(frozen=True)
class Counter:
    name: str
    start: int
    end: int | None
    increment: int
    per_user: bool
    output_format: str
    reset_each_iteration: bool


@dataclass(frozen=True)
class CookieSpec:
    """The group's HTTP Cookie Manager: cleared each iteration or not, cookies it starts with."""

    clear_each_iteration: bool
    cookies: tuple[tuple[str, str, str, str, bool], ...] = ()  # name, value, domain, path, secure


@dataclass(frozen=True)
class JmxGroup:
    """One thread group, resolved. ``phase`` orders groups: setUp groups, the others, tearDown groups."""

    name: str
    phase: str  # setup, main, teardown
    users: int
    ramp_up_s: float
    delay_s: float
    duration_s: float | None
    iterations: int | None
    on_error: str  # continue, startnextloop, stopthread, stoptest, stoptestnow
    new_user_each_iteration: bool
    root: tuple[Node, ...]
    cookies: CookieSpec | None
    data_sets: tuple[DataSet, ...] = ()
    random_variables: tuple[RandomVariable, ...] = ()
    counters: tuple[Counter, ...] = ()
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RequestListing:
    """One sampler as ``--dry-run`` shows it."""

    label: str
    method: str
    url: str


@dataclass(frozen=True)
class JmxPlan:
    path: Path
    name: str
    groups: tuple[JmxGroup, ...]
    listings: tuple[tuple[RequestListing, ...], ...]  # per group
    unsupported: tuple[Unsupported, ...]
    serialize: bool  # "Run Thread Groups consecutively"
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def refused(self) -> tuple[Unsupported, ...]:
        return tuple(u for u in self.unsupported if u.action == "refuse")

    @property
    def ignored(self) -> tuple[Unsupported, ...]:
        return tuple(u for u in self.unsupported if u.action == "ignore")
