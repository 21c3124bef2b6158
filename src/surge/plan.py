"""The test plan: what to request and how much load to apply, as pure validated frozen dataclasses.

A Plan is built from argv today (``surge run``) and from scenario files later; the engine only
reads Plans. Every dataclass validates itself in ``__post_init__`` and raises UsageError, so a bad
plan fails before any process starts.

Shape (room is left for scenario files: several user groups with weights, open-model arrival
rates with stages, thresholds)::

    Plan
      groups: UserGroup*        one JMeter-style thread group each ("surge 1-7" = group 1, user 7)
        requests: Request*      each user cycles through them in order (a tiny journey)
        load: LoadModel         users, ramp-up, duration and/or iterations, think time
      client: ClientOptions     timeouts, TLS verification, which statuses count as success
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from surge.errors import UsageError
from surge.units import parse_duration_s

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token: methods and header names
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ThinkTime:
    """Pause after each request: fixed when ``min_s == max_s``, else uniform in [min_s, max_s].

    With ``stddev_s > 0`` it is gaussian: mean ``min_s`` (== ``max_s``), negative draws clamped to 0.
    """

    min_s: float = 0.0
    max_s: float = 0.0
    stddev_s: float = 0.0

    def __post_init__(self) -> None:
        if self.min_s < 0 or self.max_s < self.min_s:
            raise UsageError(f"invalid think time {self.min_s}s-{self.max_s}s")
        if self.stddev_s < 0 or (self.stddev_s > 0 and self.min_s != self.max_s):
            raise UsageError(f"invalid gaussian think time (mean {self.min_s}s, stddev {self.stddev_s}s)")

    @classmethod
    def gaussian(cls, mean_s: float, stddev_s: float) -> ThinkTime:
        return cls(mean_s, mean_s, stddev_s)

    @classmethod
    def parse(cls, text: str) -> ThinkTime:
        """Parse ``"200ms"`` (fixed) or ``"100ms-500ms"`` (uniform range); bare numbers are seconds."""
        low, sep, high = text.partition("-")
        min_s = parse_duration_s(low)
        max_s = parse_duration_s(high) if sep else min_s
        if max_s < min_s:
            raise UsageError(f"invalid think time {text!r}: the range must go from low to high")
        return cls(min_s, max_s)

    @property
    def is_zero(self) -> bool:
        return self.max_s == 0.0 and self.stddev_s == 0.0


@dataclass(frozen=True)
class Request:
    """One HTTP request of a journey. ``label`` defaults to method + path (``GET /api/items``)."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    label: str = ""
    # Derived from url in __post_init__.
    scheme: str = field(init=False)
    host: str = field(init=False)
    port: int = field(init=False)
    target: str = field(init=False)  # path + query, as sent on the request line

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError as exc:
            raise UsageError(f"invalid URL {self.url!r}: {exc}") from exc
        if parts.scheme not in _DEFAULT_PORTS:
            raise UsageError(f"invalid URL {self.url!r}: only http:// and https:// are supported")
        if not parts.hostname:
            raise UsageError(f"invalid URL {self.url!r}: no host")
        if any(c.isspace() for c in self.url):
            raise UsageError(f"invalid URL {self.url!r}: contains white space")
        if not _TOKEN.match(self.method):
            raise UsageError(f"invalid HTTP method {self.method!r}")
        for name, value in self.headers:
            if not _TOKEN.match(name):
                raise UsageError(f"invalid header name {name!r}")
            if "\r" in value or "\n" in value:
                raise UsageError(f"invalid value for header {name!r}: contains a line break")
        path = parts.path or "/"
        target = path + (f"?{parts.query}" if parts.query else "")
        object.__setattr__(self, "scheme", parts.scheme)
        object.__setattr__(self, "host", parts.hostname)
        object.__setattr__(self, "port", port or _DEFAULT_PORTS[parts.scheme])
        object.__setattr__(self, "target", target)
        if not self.label:
            object.__setattr__(self, "label", f"{self.method} {path}")

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@dataclass(frozen=True)
class Stage:
    """One stage of an open-model run: ramp the arrival rate linearly to ``target_per_s``."""

    duration_s: float
    target_per_s: float

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise UsageError(f"a stage must last a positive time (got {self.duration_s:g}s)")
        if self.target_per_s < 0:
            raise UsageError(f"a stage's target rate must not be negative (got {self.target_per_s:g})")


def parse_stages(text: str) -> tuple[Stage, ...]:
    """Parse ``"30s:100,1m:500"``: each stage's duration and the rate (per second) reached at its end."""
    stages = []
    for part in text.split(","):
        duration, sep, target = part.strip().partition(":")
        if not sep:
            raise UsageError(f"invalid stage {part.strip()!r} (expected DURATION:RATE, e.g. 30s:100)")
        try:
            rate = float(target)
        except ValueError as exc:
            raise UsageError(f"invalid stage {part.strip()!r}: bad rate {target!r}") from exc
        stages.append(Stage(parse_duration_s(duration), rate))
    return tuple(stages)


DEFAULT_MAX_IN_FLIGHT = 1000
# A run given neither a duration nor iterations (nor stages) lasts this long.
DEFAULT_DURATION_S = 10.0
DEFAULT_GRACEFUL_STOP_S = 5.0


@dataclass(frozen=True)
class LoadModel:
    """Closed model: ``users`` loop over their requests; the run ends at ``duration_s`` or after
    ``iterations`` passes per user, whichever comes first (at least one must be set).

    Users start evenly over ``ramp_up_s`` (user i at i * ramp_up_s / users, as JMeter does); the
    duration includes the ramp-up. ``start_delay_s`` delays the first start (a JMeter thread
    group's "Startup delay"); the duration counts from the run's start, so it includes the delay.

    Open model (``rate_per_s`` and/or ``stages`` set): requests arrive at a fixed rate whatever the
    server does, ``rate_per_s`` from the start, then ramped linearly through ``stages`` (as k6's
    ramping-arrival-rate); at most ``max_in_flight`` requests are outstanding at once. ``users``
    and ``iterations`` do not apply; the duration is the stages' sum, or ``duration_s``.
    """

    users: int = 1
    ramp_up_s: float = 0.0
    duration_s: float | None = None
    iterations: int | None = None
    think_time: ThinkTime = ThinkTime()
    rate_per_s: float | None = None
    stages: tuple[Stage, ...] = ()
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    start_delay_s: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.rate_per_s is not None or bool(self.stages)

    def __post_init__(self) -> None:
        if self.is_open:
            self._check_open()
            return
        if self.users < 1:
            raise UsageError(f"users must be at least 1 (got {self.users})")
        if self.ramp_up_s < 0:
            raise UsageError(f"ramp-up must not be negative (got {self.ramp_up_s})")
        if self.start_delay_s < 0:
            raise UsageError(f"start delay must not be negative (got {self.start_delay_s})")
        if self.duration_s is None and self.iterations is None:
            raise UsageError("give a duration or a number of iterations")
        if self.duration_s is not None and self.duration_s <= 0:
            raise UsageError(f"duration must be positive (got {self.duration_s})")
        if self.iterations is not None and self.iterations < 1:
            raise UsageError(f"iterations must be at least 1 (got {self.iterations})")
        if self.duration_s is not None and self.start_delay_s + self.ramp_up_s > self.duration_s:
            delay = f"start delay ({self.start_delay_s:g}s) and " if self.start_delay_s else ""
            raise UsageError(
                f"{delay}ramp-up ({self.ramp_up_s:g}s) is longer than the duration ({self.duration_s:g}s):"
                " the last users would never start"
            )

    def _check_open(self) -> None:
        if self.rate_per_s is not None and self.rate_per_s < 0:
            raise UsageError(f"rate must not be negative (got {self.rate_per_s:g})")
        if self.max_in_flight < 1:
            raise UsageError(f"max in flight must be at least 1 (got {self.max_in_flight})")
        if self.iterations is not None:
            raise UsageError("iterations do not apply to an arrival rate (give a duration or stages)")
        if self.start_delay_s:
            raise UsageError("a start delay applies to users (the closed model), not to an arrival rate")
        if self.stages:
            total_s = sum(stage.duration_s for stage in self.stages)
            if self.duration_s is not None and abs(self.duration_s - total_s) > 1e-9:
                raise UsageError(
                    f"the stages last {total_s:g}s but the duration is {self.duration_s:g}s: give one of them"
                )
            object.__setattr__(self, "duration_s", total_s)
        elif self.duration_s is None or self.duration_s <= 0:
            raise UsageError("an arrival rate needs a positive duration")
        if self.rate_per_s is None:
            object.__setattr__(self, "rate_per_s", 0.0)
        if self.rate_per_s == 0 and not any(stage.target_per_s > 0 for stage in self.stages):
            raise UsageError("the arrival rate is zero for the whole run")

    @property
    def planned_stages(self) -> tuple[Stage, ...]:
        """The open-model rate as stages: a constant ``rate_per_s`` is one flat stage."""
        if self.stages:
            return self.stages
        assert self.duration_s is not None and self.rate_per_s is not None
        return (Stage(self.duration_s, self.rate_per_s),)


@dataclass(frozen=True)
class UserGroup:
    """Users that run the same journey; ``name`` becomes the threadName prefix in the results.

    ``behaviour``, when set, replaces the plain request loop: a scenario-file flow
    (``surge.scenario.flow.Flow``) or a Python module (``surge.scenario.script.ScriptBehaviour``),
    anything with the ``bind`` method of ``surge.engine.unit.Behaviour``, run by
    ``surge.engine.async_user``.
    ``requests`` then lists the requests the flow may send (for labels), possibly none.
    """

    requests: tuple[Request, ...]
    load: LoadModel
    name: str = "surge"
    behaviour: object | None = None

    def __post_init__(self) -> None:
        if not self.requests and self.behaviour is None:
            raise UsageError("a user group needs at least one request")
        if self.behaviour is not None and self.load.is_open:
            raise UsageError(
                "an arrival rate sends single requests: journeys, data, extraction and checks need users"
            )
        if not self.name.strip() or self.name != self.name.strip() or any(c in "\r\n\t" for c in self.name):
            # JMeter's report takes the group name as threadName without its last space-separated
            # part ("Thread Group 1-7"): inner spaces are fine, surrounding ones and line breaks not.
            raise UsageError(
                f"invalid user group name {self.name!r}: must be non-empty, without line breaks, tabs, "
                "or spaces around it"
            )


@dataclass(frozen=True)
class ClientOptions:
    """How the HTTP client behaves. ``ok_statuses=None`` means: status < 400 succeeds (as JMeter)."""

    timeout_s: float = 30.0
    insecure: bool = False
    ok_statuses: frozenset[int] | None = None
    user_agent: str = "surge"

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise UsageError(f"timeout must be positive (got {self.timeout_s})")

    def is_ok(self, status: int) -> bool:
        if self.ok_statuses is None:
            return status < 400
        return status in self.ok_statuses

    @staticmethod
    def parse_ok_statuses(text: str) -> frozenset[int]:
        """Parse ``"200-299,404"`` into the set of statuses that count as success."""
        statuses: set[int] = set()
        for part in text.split(","):
            low, sep, high = part.strip().partition("-")
            try:
                first = int(low)
                last = int(high) if sep else first
            except ValueError as exc:
                raise UsageError(f"invalid status list {text!r} (example: 200-299,404)") from exc
            if not 100 <= first <= last <= 999:
                raise UsageError(f"invalid status range {part.strip()!r} (statuses are 100-999)")
            statuses.update(range(first, last + 1))
        return frozenset(statuses)


@dataclass(frozen=True)
class Threshold:
    """One pass/fail criterion of a run; ``value`` is in the metric's unit (ms, %, per second, count).

    Parsed and checked by ``surge.verdict.thresholds`` (``p95<300ms``, ``GET /api:rps>50``).
    """

    text: str
    metric: str
    op: str
    value: float
    label: str | None = None

    @property
    def name(self) -> str:
        return self.text


@dataclass(frozen=True)
class Plan:
    """Everything a run needs, independent of how many processes or machines execute it."""

    groups: tuple[UserGroup, ...]
    client: ClientOptions = ClientOptions()
    # After the duration ends, requests still waiting get this long to finish; those still waiting
    # then are recorded as failed samples ("Non HTTP response code: RunEnded").
    graceful_stop_s: float = DEFAULT_GRACEFUL_STOP_S
    thresholds: tuple[Threshold, ...] = ()
    abort_on_fail: bool = False  # stop the run as soon as a threshold has failed for good (verdict.live)

    def __post_init__(self) -> None:
        if not self.groups:
            raise UsageError("a plan needs at least one user group")
        if not 0 <= self.graceful_stop_s < float("inf"):
            raise UsageError(f"graceful stop must be 0 or more seconds (got {self.graceful_stop_s:g})")
        if len({group.load.is_open for group in self.groups}) > 1:
            # The results file has a queueTime column or not: one model per run.
            raise UsageError("user groups must all have users (closed model) or all an arrival rate (open)")

    @property
    def total_users(self) -> int:
        """Closed-model users; an open-model group counts as its cap on requests in flight."""
        return sum(g.load.max_in_flight if g.load.is_open else g.load.users for g in self.groups)

    @property
    def is_open(self) -> bool:
        return any(group.load.is_open for group in self.groups)

    @property
    def duration_s(self) -> float | None:
        """Planned length of the run, or None when some group runs by iterations only."""
        durations = [group.load.duration_s for group in self.groups]
        if any(d is None for d in durations):
            return None
        return max(d for d in durations if d is not None)

    @property
    def planned_samples(self) -> int | None:
        """Number of samples an iterations-only plan makes; None for a timed plan."""
        total = 0
        for group in self.groups:
            if (
                group.load.iterations is None
                or group.load.duration_s is not None
                or group.behaviour is not None
            ):
                return None
            total += group.load.users * group.load.iterations * len(group.requests)
        return total
