"""Run a scenario file's Flow: one iteration per call, with feeders, ``${var}``, extraction and checks.

Feeder state is per worker process and shared by its users: ``sequential`` walks all rows from
an offset that differs per process, ``random`` draws rows, ``unique`` hands out the process's
own stripe of rows (row i goes to process i mod P), so no row is used twice in the whole run.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from surge.engine.client import PreparedRequest
from surge.engine.redirects import SessionOptions
from surge.engine.response import Response
from surge.engine.schedule import think_time_s
from surge.engine.session import Session, StopUser
from surge.engine.unit import BoundBehaviour, WorkerContext
from surge.plan import ThinkTime
from surge.scenario.checks import Template, json_has_template, render_json
from surge.scenario.model import Feeder, FlowRequest

# Characters a substituted value may keep in a URL; the rest is percent-encoded (spaces, quotes...).
_URL_SAFE = "/:@!$&'()*+,;=-._~%?"


@dataclass(frozen=True)
class Flow:
    """What each user of a group does per iteration: the journey in order, or one weighted pick."""

    requests: tuple[FlowRequest, ...]
    weights: tuple[float, ...] | None = None  # set: each iteration sends one request drawn by weight
    feeder: Feeder | None = None
    think_time: ThinkTime = field(default_factory=ThinkTime)
    variables: tuple[tuple[str, str], ...] = ()
    options: SessionOptions = field(default_factory=SessionOptions)  # cookies and redirects

    def bind(self, context: WorkerContext) -> BoundBehaviour:
        """The flow's user function in one worker (``surge.engine.unit.Behaviour``)."""
        return BoundBehaviour(compile_flow(self, context), "scenario")


class FeederState:
    """One process's cursor over a feeder's rows."""

    def __init__(self, feeder: Feeder, worker_index: int, processes: int, rng: random.Random) -> None:
        self.columns = feeder.columns
        self.mode = feeder.mode
        self.recycle = feeder.on_exhausted == "recycle"
        self.rng = rng
        if feeder.mode == "unique":
            self.rows = feeder.rows[worker_index::processes]
            self.position = 0
        else:
            self.rows = feeder.rows
            self.position = worker_index * len(feeder.rows) // processes
        self.handed = 0

    def next_row(self) -> dict[str, str] | None:
        """The next row as column -> value, or None when exhausted and the feeder says stop."""
        rows = self.rows
        if not rows:
            return None
        if self.mode == "random":
            return dict(zip(self.columns, self.rng.choice(rows), strict=True))
        if self.handed >= len(rows) and not self.recycle:
            return None
        row = rows[self.position % len(rows)]
        self.position += 1
        self.handed += 1
        return dict(zip(self.columns, row, strict=True))


def request_parts(
    request: FlowRequest, variables: Mapping[str, str]
) -> tuple[str, tuple[tuple[str, str], ...], bytes]:
    """The URL, headers and body of ``request`` with ``variables`` substituted."""
    url = _render_url(request, variables)
    if request.query:
        query = urlencode([(name, value.render(variables)) for name, value in request.query])
        url += ("&" if "?" in url else "?") + query
    # A value must not break the header block: line breaks in substituted values become spaces.
    headers = tuple(
        (name, value.render(variables).replace("\r", " ").replace("\n", " "))
        for name, value in request.headers
    )
    body = b""
    if request.has_json_body:
        body = json.dumps(render_json(request.json_body, variables), separators=(",", ":")).encode()
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers += (("Content-Type", "application/json"),)
    elif request.body is not None:
        body = request.body.render(variables).encode()
    return url, headers, body


def _render_url(request: FlowRequest, variables: Mapping[str, str]) -> str:
    template = request.url
    if template.is_static:
        url = template.parts[0]
    else:
        safe = {name: quote(variables[name], safe=_URL_SAFE) for name in template.names if name in variables}
        url = template.render(safe)
    if request.base_url and not url.startswith(("http://", "https://")):
        # Joined after substitution: "${next}" may hold a path or a whole URL (a Location header).
        url = urljoin(request.base_url, url)
    return url


def compile_flow(flow: Flow, worker: WorkerContext) -> Callable[[Session], Awaitable[None]]:
    """The user function of a flow: one call is one iteration of one user."""
    feeder_state: FeederState | None = None
    if flow.feeder is not None:
        key = f"feeder:{flow.feeder.name}"
        feeder_state = worker.shared.get(key)
        if feeder_state is None:
            feeder_state = FeederState(flow.feeder, worker.worker_index, worker.processes, worker.rng)
            worker.shared[key] = feeder_state
    requests = flow.requests
    cumulative = list(itertools.accumulate(flow.weights)) if flow.weights is not None else None
    think = None if flow.think_time.is_zero else flow.think_time
    initial = dict(flow.variables)
    options = flow.options
    rng = worker.rng
    # Requests without any ${variable} are built once, not rendered per iteration.
    static: dict[int, PreparedRequest] = {}
    labels: dict[int, Template] = {}  # parsed once: a label may hold ${variables} too
    for request in requests:
        if is_static(request):
            url, headers, body = request_parts(request, {})
            static[id(request)] = worker.prepare(request.method, url, headers, body, request.label)
        else:
            labels[id(request)] = Template.parse(request.label)

    async def iteration(session: Session) -> None:
        variables = session.vars
        if session.iteration == 0:
            session.configure(options)
            for name, value in initial.items():
                variables.setdefault(name, value)
        if feeder_state is not None:
            row = feeder_state.next_row()
            if row is None:
                raise StopUser  # the feeder is exhausted and says stop
            variables.update(row)
        if cumulative is None:
            steps: tuple[FlowRequest, ...] = requests
        else:
            steps = (requests[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])],)
        for request in steps:
            prepared = static.get(id(request))
            if prepared is None:
                url, headers, body = request_parts(request, variables)
                label = labels[id(request)].render(variables)
                prepared = worker.prepare(request.method, url, headers, body, label)
            response = await session.send_prepared(prepared, request.follow_redirects)
            if response.error is None:
                _apply(request, response, variables)
            if think is not None:
                await session.think(think_time_s(think, rng))

    return iteration


def is_static(request: FlowRequest) -> bool:
    """Whether the request holds no ${variable} anywhere (then it is the same bytes every time)."""
    templates = [request.url, *(v for _, v in request.headers), *(v for _, v in request.query)]
    if request.body is not None:
        templates.append(request.body)
    if any(not t.is_static for t in templates) or "${" in request.label:
        return False
    return not (request.has_json_body and json_has_template(request.json_body))


def _apply(request: FlowRequest, response: Response, variables: dict[str, str]) -> None:
    parsed: list[Any] = []  # the body's JSON, parsed once for all extractions and checks
    for extraction in request.extract:
        value = extraction.extract(response.status, response.headers, response.body, parsed)
        if value is not None:
            variables[extraction.variable] = value
    for assertion in request.assertions:
        if assertion.kind == "status" and response.status in assertion.expected:
            response.status_accepted = True  # an expected status is a success, even 404 (as k6)
        message = assertion.check(response.status, response.body, response.elapsed_ms, parsed, variables)
        if message is not None:
            response.fail(message)
            return
