"""One sampler's turn, as JMeter takes it: pre-processors, timers, the request, post-processors, assertions.

Then the thread group's "Action to be taken after a Sampler error": go on, start the next
iteration, or stop the user. JMeter's ``stop test`` actions stop the user that failed (a worker
cannot stop the others; see docs/jmeter-plans.md).
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from time import perf_counter_ns, time
from typing import Any, Protocol

from surge.engine.client import PreparedRequest
from surge.engine.session import Session, StopUser
from surge.engine.unit import WorkerContext
from surge.errors import UsageError
from surge.scenario.jmx.model import FlowAction, HttpSampler, JmxGroup, Timer, UserParameters
from surge.scenario.jmx.responses import CompiledCheck, Exchange, extract


class GroupRuntime(Protocol):
    """What a sampler needs of its thread group's runtime (``surge.scenario.jmx.runtime``)."""

    @property
    def group(self) -> JmxGroup: ...
    @property
    def worker(self) -> WorkerContext: ...
    @property
    def props(self) -> dict[str, str]: ...
    @property
    def shared(self) -> dict[Any, Any]: ...
    @property
    def shared_counters(self) -> dict[str, int]: ...
    @property
    def follow_redirects(self) -> bool | None: ...  # the behaviour's: None lets each sampler say


class NextIteration(Exception):
    """Start the thread group's next iteration (JMeter's "Start Next Thread Loop")."""


class ContinueLoop(Exception):
    """Go on with the next pass of the enclosing loop."""


class BreakLoop(Exception):
    """Leave the enclosing loop."""


class MalformedURL(Exception):
    """A sampler's URL, once its variables are in, is not one surge can send (recorded as a sample)."""


class UserState:
    """One user's JMeter thread: variables (the session's), counters, controllers' state.

    It is the ``RenderContext`` its strings are rendered with.
    """

    __slots__ = ("cursors", "group_name", "loops", "paused_ns", "props", "rng", "session", "shared_counters",
                 "state", "thread_num", "user_counters", "vars")  # fmt: skip

    def __init__(self, session: Session, runtime: GroupRuntime) -> None:
        self.session = session
        self.vars = session.vars
        self.props = runtime.props
        self.thread_num = session.user_number
        self.group_name = runtime.group.name
        self.rng = runtime.worker.rng
        self.user_counters: dict[str, int] = {}
        self.shared_counters = runtime.shared_counters
        self.loops: list[int] = [0]  # the pass of each enclosing loop (Once Only controllers read it)
        self.state: dict[Any, Any] = {}
        self.paused_ns = 0  # time spent in timers (transactions that exclude timers subtract it)
        self.cursors: dict[str, Any] = {}

    async def pause(self, seconds: float) -> None:
        start = perf_counter_ns()
        await self.session.think(seconds)
        self.paused_ns += perf_counter_ns() - start


Run = Callable[[UserState], Awaitable[None]]


def compile_http(sampler: HttpSampler, runtime: GroupRuntime) -> Run:
    worker = runtime.worker
    ok_by_status = worker.ok_by_status
    scoped = sampler.scoped
    pre, timers, post = scoped.pre, scoped.timers, scoped.post
    checks = [CompiledCheck(assertion) for assertion in scoped.assertions]
    override = runtime.follow_redirects
    follow = (sampler.follow_redirects or sampler.auto_redirects) if override is None else override
    record_hops = not sampler.auto_redirects
    on_error = runtime.group.on_error
    static = _static_request(sampler, runtime)

    async def run(user: UserState) -> None:
        if pre:
            _user_parameters(pre, user)
        if timers:
            delay_ms = _delay_ms(timers, user, runtime)
            if delay_ms > 0:
                await user.pause(delay_ms / 1000)
        session = user.session
        prepared = static
        if prepared is None:
            try:
                prepared = _prepare(sampler, user, runtime)
            except MalformedURL as exc:
                session.record_exception(sampler.label.render(user), exc, perf_counter_ns())
                user.vars["JMeterThread.last_sample_ok"] = "false"
                _after_error(on_error)
                return
        session.record_redirects = record_hops
        response = await session.send_prepared(prepared, follow)
        if post or checks:
            exchange: Exchange | None = None
            if post:
                exchange = Exchange(response, prepared)
                for extractor in post:
                    extract(extractor, exchange, user)
            for check in checks:
                if check.passes_by_status(response):
                    continue
                if exchange is None:
                    exchange = Exchange(response, prepared)
                message = check.run(exchange, user)
                if message is not None:
                    response.fail(message)
        ok = (
            response.error is None
            and (ok_by_status[response.status] or response.status_accepted)
            and response.failure_message is None
        )
        user.vars["JMeterThread.last_sample_ok"] = "true" if ok else "false"
        if not ok and on_error != "continue":
            _after_error(on_error)

    return run


def _after_error(on_error: str) -> None:
    if on_error == "startnextloop":
        raise NextIteration
    if on_error in ("stopthread", "stoptest", "stoptestnow"):
        raise StopUser


def _static_request(sampler: HttpSampler, runtime: GroupRuntime) -> PreparedRequest | None:
    """The request's bytes built once, when nothing in it changes from one send to the next."""
    if sampler.label.static is None or sampler.url.static is None:
        return None
    if any(value.static is None for _, value in sampler.headers):
        return None
    if sampler.body is not None and sampler.body.static is None:
        return None
    try:
        return _prepare(sampler, None, runtime)
    except MalformedURL:
        return None


def _prepare(sampler: HttpSampler, user: UserState | None, runtime: GroupRuntime) -> PreparedRequest:
    def text(expr: Any) -> str:
        return str(expr.static) if user is None else str(expr.render(user))

    url = text(sampler.url)
    headers = tuple(
        (name, text(value).replace("\r", " ").replace("\n", " ")) for name, value in sampler.headers
    )
    if sampler.body_bytes is not None:
        body = sampler.body_bytes
    elif sampler.body is not None:
        body = text(sampler.body).encode("utf-8")
    else:
        body = b""
    try:
        return runtime.worker.prepare(sampler.method, url, headers, body, text(sampler.label))
    except UsageError as exc:
        raise MalformedURL(str(exc)) from exc


def _user_parameters(pre: tuple[UserParameters, ...], user: UserState) -> None:
    for parameters in pre:
        key = ("jmx:user-parameters", id(parameters))
        if parameters.per_iteration and user.state.get(key) == user.session.iteration:
            continue  # "Update Once Per Iteration": else before every sampler in scope
        if not parameters.columns:
            continue
        column = parameters.columns[(user.thread_num - 1) % len(parameters.columns)]
        for name, value in zip(parameters.names, column, strict=False):
            user.vars[name] = value.render(user)
        user.state[key] = user.session.iteration


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _delay_ms(timers: tuple[Timer, ...], user: UserState, runtime: GroupRuntime) -> float:
    """The pause before a sampler: the sum of every timer in its scope (JMeter adds them up)."""
    rng = user.rng
    total = 0.0
    for timer in timers:
        kind = timer.kind
        if kind == "throughput":
            total += _throughput_delay_ms(timer, user, runtime)
            continue
        offset = _number(timer.delay_ms.render(user))
        spread = _number(timer.range_ms.render(user))
        if kind == "constant":
            total += offset
        elif kind == "uniform":
            total += abs(rng.random() * spread + offset)
        elif kind == "gaussian":
            total += abs(rng.gauss(0.0, 1.0) * spread + offset)
        else:  # poisson: lambda is the range
            total += abs(_poisson(rng, spread) + offset)
    return total


def _poisson(rng: random.Random, lam: float) -> float:
    if lam <= 0:
        return 0.0
    if lam > 30:  # the normal approximation, where Knuth's method underflows
        return max(0.0, float(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return float(k)
        k += 1


def _throughput_delay_ms(timer: Timer, user: UserState, runtime: GroupRuntime) -> float:
    """Constant Throughput Timer: space this user's samples (or all users') to the target rate."""
    per_minute = _number(timer.per_minute.render(user)) if timer.per_minute is not None else 0.0
    if per_minute <= 0:
        return 0.0
    ms_per_sample = 60_000.0 / per_minute
    now_ms = time() * 1000
    group = user.session.group_state
    mode = timer.calc_mode
    if mode in (3, 4):
        # Shared: one schedule for the users of this process, each process taking its share.
        scope = runtime.group.name if mode == 4 else ""
        info: list[float] = runtime.shared.setdefault(("jmx:throughput-timer", id(timer), scope), [0.0])
        spacing = ms_per_sample * max(1, runtime.worker.processes)
        info[0] = max(now_ms, info[0] + spacing)
        return max(0.0, info[0] - now_ms)
    if mode == 1:
        ms_per_sample *= max(1, group.all_threads)
    elif mode == 2:
        ms_per_sample *= max(1, group.threads)
    key = ("jmx:throughput-timer", id(timer), "user")
    previous: float = user.state.get(key, 0.0)
    target = previous + ms_per_sample
    if now_ms > target:
        user.state[key] = now_ms  # behind schedule: no pause, catch up
        return 0.0
    user.state[key] = target
    return target - now_ms


def compile_action(action: FlowAction, runtime: GroupRuntime) -> Run:
    timers = action.scoped.timers
    pre = action.scoped.pre

    async def run(user: UserState) -> None:
        if pre:
            _user_parameters(pre, user)
        delay_ms = _delay_ms(timers, user, runtime) if timers else 0.0
        if delay_ms > 0:
            await user.pause(delay_ms / 1000)
        user.session.flush()
        kind = action.action
        if kind == 1:
            pause_ms = _number(action.duration_ms.render(user))
            if pause_ms > 0:
                await user.pause(pause_ms / 1000)
        elif kind in (0, 2):
            raise StopUser
        elif kind == 3:
            raise NextIteration
        elif kind == 4:
            raise ContinueLoop
        elif kind == 5:
            raise BreakLoop

    return run
