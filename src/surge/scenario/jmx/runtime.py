"""Run a resolved thread group: one iteration of its tree per call, on a user's session.

``JmxBehaviour`` is the group's ``surge.engine.unit.Behaviour``. Bound in a worker, it compiles
the group's tree into callables once (requests without ``${...}`` become request bytes then);
each user gets a ``UserState`` (its JMeter thread: variables, counters, controllers' state).
Samplers are in ``surge.scenario.jmx.sampling``; controllers and transactions are here.

Transaction Controllers write JMeter's transaction sample (``Number of samples in transaction :
N, number of failing samples : M``): after their children's samples, or, with "Generate parent
sample", before them, the children then written as its sub-samples.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from surge.engine.cookies import Cookie
from surge.engine.redirects import SessionOptions
from surge.engine.session import Session, StopUser
from surge.engine.unit import BoundBehaviour, WorkerContext
from surge.results.sample import Sample
from surge.scenario.jmx.config import format_number
from surge.scenario.jmx.csv_data import EOF_VALUE, Cursor, read_rows
from surge.scenario.jmx.model import Controller, DataSet, FlowAction, HttpSampler, JmxGroup, Node
from surge.scenario.jmx.sampling import (
    BreakLoop,
    ContinueLoop,
    NextIteration,
    UserState,
    compile_action,
    compile_http,
)

Run = Callable[[UserState], Awaitable[None]]
TRANSACTION_PREFIX = "Number of samples in transaction : "


@dataclass(frozen=True)
class JmxBehaviour:
    """What the users of one JMeter thread group do (``surge.engine.unit.Behaviour``).

    ``follow_redirects`` None lets each sampler say (its "Follow Redirects"); ``options.cookies``
    says whether users keep cookies (the plan's Cookie Manager, or the command line).
    """

    group: JmxGroup
    properties: tuple[tuple[str, str], ...] = ()
    options: SessionOptions = field(default_factory=SessionOptions)
    follow_redirects: bool | None = None

    def bind(self, context: WorkerContext) -> BoundBehaviour:
        return BoundBehaviour(GroupRuntime(self, context).iteration, "jmx")


class GroupRuntime:
    """One worker's compiled copy of a thread group, and its users' states."""

    def __init__(self, behaviour: JmxBehaviour, worker: WorkerContext) -> None:
        self.behaviour = behaviour
        self.follow_redirects = behaviour.follow_redirects
        self.group = behaviour.group
        self.worker = worker
        self.props = dict(behaviour.properties)
        self.shared: dict[Any, Any] = worker.shared
        self.shared_counters: dict[str, int] = self.shared.setdefault("jmx:counters", {})
        self.users: dict[int, UserState] = {}
        self.root = [self.compile(node) for node in self.group.root]
        self.data = [self._data_set(data_set) for data_set in self.group.data_sets]
        group = self.group
        self.per_iteration = bool(self.data or group.random_variables or group.counters)
        self.clear_cookies = group.cookies is not None and group.cookies.clear_each_iteration

    # -- compiling -----------------------------------------------------------------------------------

    def compile(self, node: Node) -> Run:
        if isinstance(node, HttpSampler):
            return compile_http(node, self)
        if isinstance(node, FlowAction):
            return compile_action(node, self)
        children = [self.compile(child) for child in node.children]
        builder = _CONTROLLERS[node.kind]
        return builder(self, node, children)

    def _data_set(self, data_set: DataSet) -> tuple[DataSet, tuple[str, ...], Any]:
        assert data_set.path is not None  # checked before the run (``plans``)
        key = ("jmx:csv", str(data_set.path.resolve()))
        loaded = self.shared.get(key)
        if loaded is None:
            loaded = self.shared[key] = read_rows(data_set, data_set.path)
        names, rows = loaded
        return data_set, names, rows

    # -- users and iterations ----------------------------------------------------------------------

    def user(self, session: Session) -> UserState:
        user = self.users.get(id(session))
        if user is None:
            user = self.users[id(session)] = UserState(session, self)
            options = self.behaviour.options
            session.configure(options)
            for name, value in self.group.variables:
                session.vars.setdefault(name, value)
            self._cookies(session)
        return user

    def _cookies(self, session: Session) -> None:
        spec = self.group.cookies
        jar = session.cookies
        if spec is None or jar is None:
            return
        for name, value, domain, path, secure in spec.cookies:
            if domain:
                jar.add(Cookie(name, value, domain, path, host_only=False, secure=secure))

    async def iteration(self, session: Session) -> None:
        user = self.users.get(id(session)) or self.user(session)
        if self.clear_cookies and session.iteration > 0 and session.cookies is not None:
            session.cookies.clear()
            self._cookies(session)
        if self.per_iteration:
            self._start_iteration(user)
        loops = user.loops
        loops[0] = session.iteration
        if len(loops) > 1:
            del loops[1:]
        try:
            for run in self.root:
                await run(user)
        except (NextIteration, ContinueLoop, BreakLoop):
            pass  # at the thread group's level, all three end the iteration

    def _start_iteration(self, user: UserState) -> None:
        variables = user.vars
        for data_set, names, rows in self.data:
            cursor = self._cursor(user, data_set, rows)
            row = cursor.next()
            if row is None:
                if data_set.stop_user:
                    raise StopUser
                for name in names:
                    variables[name] = EOF_VALUE
                continue
            for name, value in zip(names, row, strict=False):
                variables[name] = value
        rng = self.worker.rng
        for random_variable in self.group.random_variables:
            drawn = rng.randint(random_variable.minimum, random_variable.maximum)
            variables[random_variable.name] = format_number(drawn, random_variable.output_format)
        for counter in self.group.counters:
            counters = user.user_counters if counter.per_user else self.shared_counters
            key = f"counter:{counter.name}"
            current = counters.get(key)
            if (
                current is None
                or (counter.reset_each_iteration and counter.per_user)
                or (counter.end is not None and current + counter.increment > counter.end)
            ):
                current = counter.start
            else:
                current += counter.increment
            counters[key] = current
            variables[counter.name] = format_number(current, counter.output_format)

    def _cursor(self, user: UserState, data_set: DataSet, rows: list[list[str]]) -> Cursor:
        path = str(data_set.path)
        if data_set.share == "user":
            cursor = user.cursors.get(path)
            if cursor is None:
                cursor = user.cursors[path] = Cursor(rows, data_set.recycle, 0, 1)
            return cursor
        scope = self.group.name if data_set.share == "group" else data_set.share
        key = ("jmx:cursor", scope, path)
        cursor = self.shared.get(key)
        if cursor is None:
            cursor = self.shared[key] = Cursor(
                rows, data_set.recycle, self.worker.worker_index, self.worker.processes
            )
        return cursor


# -- controllers -------------------------------------------------------------------------------------------


def _simple(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    async def run(user: UserState) -> None:
        for child in children:
            await child(user)

    return run


def _loop(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    loops_expr = node.loops

    async def run(user: UserState) -> None:
        text = loops_expr.render(user) if loops_expr is not None else "1"
        try:
            count = int(text.strip())
        except ValueError:
            count = 0
        index = 0
        user.loops.append(0)
        try:
            while count < 0 or index < count:
                user.loops[-1] = index
                try:
                    for child in children:
                        await child(user)
                except ContinueLoop:
                    pass
                index += 1
        except BreakLoop:
            pass
        finally:
            user.loops.pop()

    return run


def _if(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    condition = node.condition
    assert condition is not None
    evaluate_all = node.evaluate_all

    async def run(user: UserState) -> None:
        if not condition.holds(user):
            return
        for i, child in enumerate(children):
            if i and evaluate_all and not condition.holds(user):
                return
            await child(user)

    return run


def _once(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    async def run(user: UserState) -> None:
        if user.loops[-1] == 0:
            for child in children:
                await child(user)

    return run


def _throughput(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    key = ("jmx:throughput", id(node))
    value_expr = node.value
    by_number = node.by_number

    async def run(user: UserState) -> None:
        counts = (
            user.state.setdefault(key, [0, 0]) if node.per_user else runtime.shared.setdefault(key, [0, 0])
        )
        try:
            value = float((value_expr.render(user) if value_expr is not None else "1").strip())
        except ValueError:
            value = 0.0
        counts[1] += 1  # iterations, then executions
        executions, iterations = counts[0], counts[1]
        # JMeter's rule (ThroughputController.decide).
        go = executions < value if by_number else (100.0 * executions + 50.0) / (iterations + 1) < value
        if go:
            counts[0] += 1
            for child in children:
                await child(user)

    return run


def _random(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    rng = runtime.worker.rng

    async def run(user: UserState) -> None:
        if children:
            await children[rng.randrange(len(children))](user)

    return run


def _random_order(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    rng = runtime.worker.rng

    async def run(user: UserState) -> None:
        order = list(children)
        rng.shuffle(order)
        for child in order:
            await child(user)

    return run


def _interleave(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    key = ("jmx:interleave", id(node))

    async def run(user: UserState) -> None:
        if children:
            index = user.state.get(key, 0)
            user.state[key] = index + 1
            await children[index % len(children)](user)

    return run


def _transaction(runtime: GroupRuntime, node: Controller, children: list[Run]) -> Run:
    name = node.name
    include_timers = node.include_timers
    worker = runtime.worker

    async def run(user: UserState) -> None:
        session = user.session
        session.flush()  # the sample before the transaction is not part of it
        start_ns = perf_counter_ns()
        paused_before = user.paused_ns
        seen: list[Sample] = []

        def listener(sample: Sample, transaction: bool) -> None:
            if not transaction:
                seen.append(sample)

        outer_capture = session.capture
        capture: list[tuple[Sample, list[Sample]]] = []
        if node.parent_sample:
            session.capture = capture
        else:
            session.listeners.append(listener)
        emit = False
        try:
            for child in children:
                await child(user)
            emit = True
        except NextIteration:
            emit = True
            raise
        finally:
            session.flush()
            if node.parent_sample:
                session.capture = outer_capture
            else:
                session.listeners.remove(listener)
            if emit:
                end_ns = perf_counter_ns()
                idle_ns = 0 if include_timers else user.paused_ns - paused_before
                if node.parent_sample:
                    _emit_parent(session, worker, name, start_ns, end_ns, capture, include_timers)
                else:
                    _emit_transaction(session, worker, name, start_ns, end_ns, idle_ns, seen)

    return run


def _epoch_ms(worker: WorkerContext, ns: int) -> int:
    return (ns + worker.epoch_offset_ns) // 1_000_000


def _transaction_sample(
    session: Session, name: str, start_ms: int, elapsed_ms: int, idle_ms: int, samples: list[Sample],
    code_of_failure: str = "", latency: bool = True,
) -> Sample:  # fmt: skip
    failures = sum(1 for s in samples if not s.success)
    group = session.group_state
    return Sample(
        timestamp_ms=start_ms,
        elapsed_ms=elapsed_ms,
        label=name,
        response_code="200" if not failures else code_of_failure,
        response_message=f"{TRANSACTION_PREFIX}{len(samples)}, number of failing samples : {failures}",
        thread_name=session.thread_name,
        data_type="",
        success=not failures,
        failure_message="",
        bytes_received=sum(s.bytes_received for s in samples),
        bytes_sent=sum(s.bytes_sent for s in samples),
        grp_threads=group.threads,
        all_threads=group.all_threads,
        url="",
        latency_ms=sum(s.latency_ms for s in samples) if latency else 0,
        idle_time_ms=idle_ms,
        connect_ms=sum(s.connect_ms for s in samples),
    )


def _emit_transaction(
    session: Session, worker: WorkerContext, name: str, start_ns: int, end_ns: int, idle_ns: int,
    samples: list[Sample],
) -> None:  # fmt: skip
    """JMeter's transaction sample, after its children's (the controller's default mode)."""
    start_ms = _epoch_ms(worker, start_ns)
    idle_ms = idle_ns // 1_000_000
    elapsed_ms = max(0, _epoch_ms(worker, end_ns) - start_ms - idle_ms)
    session.emit(_transaction_sample(session, name, start_ms, elapsed_ms, idle_ms, samples), [], True)


def _emit_parent(
    session: Session, worker: WorkerContext, name: str, start_ns: int, end_ns: int,
    captured: list[tuple[Sample, list[Sample]]], include_timers: bool,
) -> None:  # fmt: skip
    """ "Generate parent sample": the transaction's sample, then its children as sub-samples."""
    children = [sample for sample, _ in captured]
    rows = [row for sample, subs in captured for row in (sample, *subs)]
    start_ms = _epoch_ms(worker, start_ns)
    total_ms = _epoch_ms(worker, end_ns) - start_ms
    elapsed_ms = total_ms if include_timers else sum(s.elapsed_ms for s in children)
    idle_ms = 0 if include_timers else max(0, total_ms - elapsed_ms)
    first_failure = next((s.response_code for s in children if not s.success), "")
    sample = _transaction_sample(
        session, name, start_ms, elapsed_ms, idle_ms, children, first_failure, latency=False
    )
    session.emit(sample, rows, True)


_CONTROLLERS: dict[str, Callable[[GroupRuntime, Controller, list[Run]], Run]] = {
    "simple": _simple,
    "loop": _loop,
    "if": _if,
    "once": _once,
    "throughput": _throughput,
    "random": _random,
    "random_order": _random_order,
    "interleave": _interleave,
    "transaction": _transaction,
}
