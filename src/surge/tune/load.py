"""What a tune loads the served app with, and the plan of one trial at one load level.

Three sources: paths on the served app (``--path``), a scenario file (``-f``) and Python users
(``-s``), all aimed at the served app's address. Plain requests are sent at an arrival rate (the
open model, latency from the intended send time): the load level is a rate per second. Scenario
users and Python users run journeys, which need the closed model: the level is a number of users,
and the rate is what they achieve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from surge.errors import UsageError
from surge.plan import ClientOptions, LoadModel, Plan, Request, Threshold, UserGroup

# Where the plan is checked before any server exists: a URL with a port nothing listens on.
_PLACEHOLDER_BASE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class RequestSpec:
    """One request on the served app: a path (and query) starting with ``/``."""

    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    label: str = ""

    def request(self, base_url: str) -> Request:
        return Request(
            url=base_url + self.path,
            method=self.method,
            headers=self.headers,
            body=self.body,
            label=self.label,
        )


@dataclass(frozen=True)
class LoadSource:
    """Requests (``--path``), a scenario file (``-f``) or a Python module of users (``-s``)."""

    requests: tuple[RequestSpec, ...] = ()
    plan_file: Path | None = None
    script: Path | None = None

    def __post_init__(self) -> None:
        given = sum((bool(self.requests), self.plan_file is not None, self.script is not None))
        if given != 1:
            raise UsageError("give paths (--path), a scenario file (-f) or Python users (-s): one of them")

    def describe(self) -> str:
        if self.plan_file is not None:
            return f"scenario file {self.plan_file}"
        if self.script is not None:
            return f"Python users in {self.script}"
        return ", ".join(f"{r.method} {r.path}" if r.method != "GET" else r.path for r in self.requests)


def path_requests(paths: tuple[str, ...]) -> tuple[RequestSpec, ...]:
    """``--path`` values as GET requests; each must start with ``/``."""
    specs = []
    for path in paths:
        if not path.startswith("/") or any(c.isspace() for c in path):
            raise UsageError(
                f"invalid --path {path!r}: give the path on the app, starting with / (e.g. /api)"
            )
        specs.append(RequestSpec(path))
    return tuple(specs)


@dataclass(frozen=True)
class TrialLoad:
    """Builds each trial's plan for the served app's base URL (``http://127.0.0.1:PORT``)."""

    source: LoadSource
    closed: bool  # users (closed model) rather than an arrival rate
    thresholds: tuple[Threshold, ...]  # the scenario file's own thresholds, part of the SLO

    @property
    def level_unit(self) -> str:
        return "users" if self.closed else "req/s"

    def plan(
        self,
        base_url: str,
        level: float,
        duration_s: float,
        *,
        max_in_flight: int,
        graceful_stop_s: float,
    ) -> Plan:
        """The plan of one trial: ``level`` requests per second (open) or users (closed)."""
        template = self._template(base_url)
        groups = template.groups
        if self.closed:
            weights = _weights([float(g.load.users) for g in groups])
            users = max(1, round(level))
            new_groups = tuple(
                replace(g, load=LoadModel(users=max(1, round(users * w)), duration_s=duration_s))
                for g, w in zip(groups, weights, strict=True)
            )
        else:
            weights = _weights([_peak_rate(g.load) for g in groups])
            new_groups = tuple(
                replace(
                    g,
                    load=LoadModel(
                        rate_per_s=level * w,
                        duration_s=duration_s,
                        max_in_flight=max(1, round(max_in_flight * w)),
                    ),
                )
                for g, w in zip(groups, weights, strict=True)
            )
        return replace(
            template,
            groups=new_groups,
            thresholds=(),
            abort_on_fail=False,
            graceful_stop_s=graceful_stop_s,
        )

    def probe_url(self, base_url: str) -> str:
        """A GET request on the app that says how long it takes to answer right now."""
        return self.probe_urls(base_url)[0][0]

    def probe_urls(self, base_url: str, limit: int = 5) -> list[tuple[str, float]]:
        """The load's GET URLs (at most ``limit``), each with its share of the plan's requests."""
        counts: dict[str, int] = {}
        for group in self._template(base_url).groups:
            for request in group.requests:
                if request.method == "GET":
                    counts[request.url] = counts.get(request.url, 0) + 1
        if not counts:
            return [(base_url + "/", 1.0)]
        chosen = list(counts.items())[:limit]
        total = sum(n for _, n in chosen)
        return [(url, n / total) for url, n in chosen]

    def _template(self, base_url: str) -> Plan:
        source = self.source
        if source.plan_file is not None:
            from surge.scenario.plan_file import load_plan_file

            plan = load_plan_file(source.plan_file, base_url=base_url)
            _check_origins(plan, base_url)
            return plan
        if source.script is not None:
            from surge.scenario.script import load_script_plan

            load = LoadModel(users=1, duration_s=1.0)
            return load_script_plan(source.script, load, ClientOptions(), base_url)
        requests = tuple(spec.request(base_url) for spec in source.requests)
        group = UserGroup(requests=requests, load=LoadModel(rate_per_s=1.0, duration_s=1.0), name="tune")
        return Plan(groups=(group,))


def prepare_load(source: LoadSource) -> TrialLoad:
    """Check the source before any server starts (bad input is a UsageError) and learn its model."""
    probe = TrialLoad(source, closed=False, thresholds=())
    template = probe._template(_PLACEHOLDER_BASE)
    closed = any(group.behaviour is not None or not group.load.is_open for group in template.groups)
    if source.requests:
        closed = False
    return TrialLoad(source, closed=closed, thresholds=template.thresholds)


def _weights(values: list[float]) -> list[float]:
    total = sum(values)
    if total <= 0:
        return [1.0 / len(values)] * len(values)
    return [value / total for value in values]


def _peak_rate(load: LoadModel) -> float:
    """A group's share of the arrivals: its rate, or its stages' highest target."""
    rates = [load.rate_per_s or 0.0, *(stage.target_per_s for stage in load.stages)]
    return max(rates)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (parts.scheme, parts.hostname or "", parts.port)


def _check_origins(plan: Plan, base_url: str) -> None:
    """A tune loads the app it serves: a request with an absolute URL elsewhere is refused."""
    served = _origin(base_url)
    for group in plan.groups:
        for request in group.requests:
            if _origin(request.url) != served:
                raise UsageError(
                    f"request {request.label!r} goes to {request.scheme}://{request.host}:{request.port}:"
                    " surge tune loads only the app it serves; make its url relative"
                    " (base_url is the served app)"
                )
