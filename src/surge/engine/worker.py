"""One worker: one event loop (uvloop when installed) running its share of virtual users.

Each virtual user owns one keep-alive connection and loops over its requests. Everything runs
from callbacks (no task per request): a response completes in ``data_received``, the user writes
its JTL row and sends the next request right there. Once a second the worker flushes its part
file and reports counts and an HDR snapshot of that second; a sweep every few tens of ms
enforces read timeouts and the end of the run. Nothing is shared with other workers except an
array of active-user counts (for JTL's grpThreads/allThreads), read at most every sweep.

``Worker`` is transport-agnostic (``report`` is any callable taking a message tuple), so the same
code runs in a local process (``worker_process_main``) and, later, as a Dask task.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import signal
import ssl
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns, time_ns
from typing import Any

from surge.engine.client import (
    NO_RESPONSE,
    HttpConnection,
    PreparedRequest,
    describe_connect_error,
    make_ssl_context,
)
from surge.engine.histogram import PROGRESS_DIGITS, encode, new_histogram, record_counts
from surge.engine.schedule import UserSlot, think_time_s
from surge.engine.summary import LabelTotals
from surge.plan import Plan, ThinkTime
from surge.results.jtl_write import JtlPartWriter, RowParts, quote_field, status_fields
from surge.results.sample import non_http_code, non_http_message

NEVER_NS = 1 << 62
Message = tuple[Any, ...]


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker runs: its users (slots) of the plan, and where it writes its rows."""

    plan: Plan
    worker_index: int
    processes: int
    users: tuple[UserSlot, ...]
    part_path: Path
    seed: int = 0


@dataclass(frozen=True)
class WorkerResult:
    label_totals: tuple[LabelTotals, ...]
    rows_written: int
    cpu_s: float
    interrupted: bool


class LabelStats:
    """Per-label accumulator: the hot path appends elapsed µs; ``roll`` folds them in each second."""

    __slots__ = (
        "append",
        "elapsed_us",
        "errors",
        "errors_total",
        "histogram",
        "label",
        "max_us",
        "min_us",
        "received",
        "samples",
        "sent",
        "sum_us",
    )

    def __init__(self, label: str) -> None:
        self.label = label
        self.elapsed_us: list[int] = []
        self.append = self.elapsed_us.append
        self.errors = 0  # in the current second
        self.errors_total = 0
        self.samples = 0
        self.sum_us = 0
        self.min_us = NEVER_NS
        self.max_us = 0
        self.received = 0
        self.sent = 0
        self.histogram = new_histogram()

    def roll(self, second_histogram: Any) -> tuple[int, int]:
        """Move this second's values into the totals; returns (samples, errors) of the second."""
        values = self.elapsed_us
        errors = self.errors
        self.errors = 0
        self.errors_total += errors
        if not values:
            return 0, errors
        counts = Counter(values)
        record_counts(self.histogram, counts)
        record_counts(second_histogram, counts)
        n = len(values)
        self.samples += n
        self.sum_us += sum(values)
        self.min_us = min(self.min_us, min(values))
        self.max_us = max(self.max_us, max(values))
        values.clear()
        return n, errors

    def totals(self) -> LabelTotals:
        return LabelTotals(
            label=self.label,
            samples=self.samples,
            errors=self.errors_total,
            sum_us=self.sum_us,
            min_us=self.min_us if self.samples else 0,
            max_us=self.max_us,
            received_bytes=self.received,
            sent_bytes=self.sent,
            histogram=encode(self.histogram),
        )


class Step:
    """One request as one user makes it: prepared bytes, pre-quoted row pieces, label stats.

    ``mid`` caches the row's middle (label, code, message, thread, dataType, success) for the last
    status and reason seen, so a steady stream of ``200 OK`` costs one comparison per row.
    """

    __slots__ = (
        "host",
        "is_head",
        "mid",
        "mid_ok",
        "mid_reason",
        "mid_status",
        "origin",
        "parts",
        "payload",
        "port",
        "scheme",
        "sent",
        "sent_part",
        "stats",
        "url_part",
    )

    def __init__(self, prepared: PreparedRequest, parts: RowParts, stats: LabelStats) -> None:
        self.origin = prepared.origin
        self.scheme = prepared.scheme
        self.host = prepared.host
        self.port = prepared.port
        self.payload = prepared.payload
        self.is_head = prepared.is_head
        self.sent = prepared.sent_bytes
        self.sent_part = f",{prepared.sent_bytes}"
        self.parts = parts
        self.url_part = parts.url_part
        self.stats = stats
        self.mid_status = -1
        self.mid_reason = b""
        self.mid = ""
        self.mid_ok = False

    def cache_status(self, status: int, reason: bytes, ok: bool) -> None:
        self.mid_status = status
        self.mid_reason = reason
        self.mid_ok = ok
        parts = self.parts
        fields = status_fields(status, reason.decode("latin-1"))
        self.mid = f"{parts.label_part}{fields}{parts.thread_part_ok}{'true' if ok else 'false'},,"


class GroupState:
    """Active users of one group: here (``local``) and in the whole run (``threads``).

    ``counts_text`` is the JTL's ``,grpThreads,allThreads`` piece, rebuilt only when counts change.
    """

    __slots__ = ("counts_text", "index", "local", "threads")

    def __init__(self, index: int) -> None:
        self.index = index
        self.local = 0
        self.threads = 0
        self.counts_text = ",0,0"


class VirtualUser:
    """A user looping over its steps on one keep-alive connection; the connection's owner."""

    __slots__ = (
        "conn",
        "connecting",
        "deadline_ns",
        "finished",
        "group",
        "index",
        "iteration",
        "iterations",
        "n_steps",
        "retried",
        "started",
        "step",
        "steps",
        "think",
        "timer",
        "worker",
    )

    def __init__(
        self,
        worker: Worker,
        group: GroupState,
        steps: list[Step],
        think: ThinkTime,
        iterations: int | None,
        deadline_ns: int,
    ) -> None:
        self.worker = worker
        self.group = group
        self.steps = steps
        self.n_steps = len(steps)
        self.step = steps[0]
        self.think: ThinkTime | None = None if think.is_zero else think
        self.iterations = iterations if iterations is not None else -1
        self.deadline_ns = deadline_ns
        self.index = 0
        self.iteration = 0
        self.conn: HttpConnection | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.started = False
        self.finished = False
        self.retried = False

    # -- life cycle --------------------------------------------------------------------------------

    def start(self) -> None:
        if self.finished:
            return
        self.started = True
        self.worker.user_started(self)
        self.send_next()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
        conn = self.conn
        if conn is not None:
            self.conn = None
            conn.in_flight = False  # an abandoned request is not a sample
            conn.close()
        self.worker.user_finished(self)

    def is_stuck(self) -> bool:
        """True if the user waits for nothing: no response, no think timer, no connection attempt."""
        if self.finished or self.timer is not None:
            return False
        if self.connecting is not None and not self.connecting.done():
            return False
        conn = self.conn
        return conn is None or not conn.in_flight

    def send_next(self) -> None:
        self.timer = None
        start_ns = perf_counter_ns()
        if start_ns >= self.deadline_ns or self.worker.stopping:
            self.finish()
            return
        step = self.steps[self.index]
        self.step = step
        self.retried = False
        conn = self.conn
        if conn is not None and conn.origin is step.origin and conn.transport is not None:
            conn.send(step.payload, start_ns, step.is_head)
            return
        if conn is not None:
            self.conn = None
            conn.close()
        self.connecting = self.worker.loop.create_task(self.connect(step, start_ns))

    async def connect(self, step: Step, start_ns: int) -> None:
        worker = self.worker
        conn = HttpConnection(self, step.origin)
        try:
            await asyncio.wait_for(
                worker.loop.create_connection(
                    lambda: conn,
                    step.host,
                    step.port,
                    ssl=worker.ssl_context if step.scheme == "https" else None,
                ),
                worker.timeout_s,
            )
        except Exception as exc:  # any failure to connect is a failed sample, never a crash
            now_ns = perf_counter_ns()
            code, message = describe_connect_error(exc)
            self.record_failure(step, code, message, start_ns, now_ns, 0, 0, 0, now_ns)
            self.advance(now_ns)
            return
        if self.finished:
            conn.close()
            return
        self.conn = conn
        conn.send(step.payload, start_ns, step.is_head)

    def advance(self, now_ns: int) -> None:
        """Move to the next step (and iteration), then send it now or after the think time."""
        self.index += 1
        if self.index == self.n_steps:
            self.index = 0
            self.iteration += 1
            if self.iteration == self.iterations:
                self.finish()
                return
        if now_ns >= self.deadline_ns or self.worker.stopping:
            self.finish()
            return
        if self.think is None:
            self.send_next()
        else:
            self.timer = self.worker.loop.call_later(
                think_time_s(self.think, self.worker.rng), self.send_next
            )

    # -- ConnectionOwner: the hot path ------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        # The hot path: every line here runs once per request, so it avoids calls and lookups.
        worker = self.worker
        step = self.step
        off = worker.epoch_offset_ns
        start_ns = conn.start_ns
        start_ms = (start_ns + off) // 1_000_000
        if conn.status != step.mid_status or conn.reason != step.mid_reason:
            step.cache_status(conn.status, conn.reason, worker.ok_by_status[conn.status])
        connect_ns = conn.connect_ns
        if connect_ns:
            conn.connect_ns = 0
            connect_ms = (connect_ns + off) // 1_000_000 - start_ms
        else:
            connect_ms = 0
        received = conn.received
        stats = step.stats
        stats.append((now_ns - start_ns) // 1000)
        stats.received += received
        stats.sent += step.sent
        if not step.mid_ok:
            stats.errors += 1
        worker.rows_append(
            f"{start_ms},{(now_ns + off) // 1_000_000 - start_ms}{step.mid}{received}{step.sent_part}"
            f"{self.group.counts_text}{step.url_part}{(conn.first_byte_ns + off) // 1_000_000 - start_ms},0,"
            f"{connect_ms}\n"
        )
        if not conn.keep_alive:
            self.conn = None
            conn.close()
            self.advance(now_ns)
            return
        # advance() and send_next() inlined for the common case: same connection, no think time.
        index = self.index + 1
        if index == self.n_steps or self.think is not None or now_ns >= self.deadline_ns:
            self.advance(now_ns)
            return
        self.index = index
        step = self.steps[index]
        self.step = step
        if conn.origin is not step.origin:
            self.send_next()
            return
        self.retried = False
        conn.send(step.payload, perf_counter_ns(), step.is_head)

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        step = self.step
        if conn is self.conn:
            self.conn = None
        if code == NO_RESPONSE and conn.requests_sent > 1 and not self.retried:
            # The server closed an idle keep-alive connection as we reused it: retry once on a new one.
            self.retried = True
            self.connecting = self.worker.loop.create_task(self.connect(step, conn.start_ns))
            return
        first_byte_ns = conn.first_byte_ns if conn.received else 0
        self.record_failure(
            step,
            code,
            message,
            conn.start_ns,
            now_ns,
            conn.received,
            step.sent,
            first_byte_ns,
            conn.connect_ns,
        )
        self.advance(now_ns)

    def connection_closed(self, conn: HttpConnection) -> None:
        if conn is self.conn:
            self.conn = None

    def record_failure(
        self,
        step: Step,
        code: str,
        message: str,
        start_ns: int,
        now_ns: int,
        received: int,
        sent: int,
        first_byte_ns: int,
        connect_ns: int,
    ) -> None:
        worker = self.worker
        off = worker.epoch_offset_ns
        start_ms = (start_ns + off) // 1_000_000
        latency_ms = (first_byte_ns + off) // 1_000_000 - start_ms if first_byte_ns else 0
        connect_ms = (connect_ns + off) // 1_000_000 - start_ms if connect_ns else 0
        stats = step.stats
        stats.append((now_ns - start_ns) // 1000)
        stats.errors += 1
        stats.received += received
        stats.sent += sent
        parts = step.parts
        fields = f"{quote_field(non_http_code(code))},{quote_field(non_http_message(message))}"
        worker.rows_append(
            f"{start_ms},{(now_ns + off) // 1_000_000 - start_ms}{parts.label_part}{fields}"
            f"{parts.thread_part_err}false,,{received},{sent}{self.group.counts_text}"
            f"{parts.url_part}{latency_ms},0,{connect_ms}\n"
        )


class Worker:
    """Runs ``spec.users`` on the current event loop until they finish or ``request_stop``."""

    def __init__(
        self, spec: WorkerSpec, report: Callable[[Message], None], shared_counts: Any = None
    ) -> None:
        self.spec = spec
        self.plan = spec.plan
        self.report = report
        self.shared_counts = shared_counts  # RawArray('q', processes * groups) or None
        self.loop: asyncio.AbstractEventLoop = asyncio.get_event_loop()
        self.rng = random.Random(spec.seed)
        client = self.plan.client
        self.timeout_s = client.timeout_s
        self.timeout_ns = int(client.timeout_s * 1e9)
        self.ok_by_status = [client.is_ok(s) for s in range(1000)]
        self.ssl_context: ssl.SSLContext | None = None
        self.epoch_offset_ns = time_ns() - perf_counter_ns()
        self.writer = JtlPartWriter(spec.part_path)
        self.rows_append = self.writer.rows.append
        self.groups = [GroupState(i) for i in range(len(self.plan.groups))]
        self.all_threads = 0
        self.local_active = 0
        self.stopping = False
        self.interrupted = False
        self.users: list[VirtualUser] = []
        self.unfinished = 0
        self.label_stats: dict[str, LabelStats] = {}
        self.second_histogram = new_histogram(PROGRESS_DIGITS)
        self.done: asyncio.Future[None] | None = None
        self.handles: list[asyncio.TimerHandle] = []
        self.end_ns = NEVER_NS  # when requests still in flight are abandoned

    # -- setup ---------------------------------------------------------------------------------------

    def _build_users(self, t0_perf_ns: int) -> None:
        origins: dict[tuple[str, str, int], tuple[str, str, int]] = {}
        prepared_by_group: list[list[PreparedRequest]] = []
        for group in self.plan.groups:
            prepared = [PreparedRequest(r, self.plan.client.user_agent) for r in group.requests]
            for p in prepared:
                p.origin = origins.setdefault(p.origin, p.origin)  # one object per origin: `is` checks
                if p.scheme == "https" and self.ssl_context is None:
                    self.ssl_context = make_ssl_context(self.plan.client.insecure)
                if p.label not in self.label_stats:
                    self.label_stats[p.label] = LabelStats(p.label)
            prepared_by_group.append(prepared)
        latest_deadline = 0
        for slot in self.spec.users:
            group = self.plan.groups[slot.group_index]
            thread_name = f"{group.name} {slot.group_index + 1}-{slot.user_number}"
            steps = [
                Step(p, RowParts(p.label, thread_name, p.url), self.label_stats[p.label])
                for p in prepared_by_group[slot.group_index]
            ]
            load = group.load
            deadline_ns = NEVER_NS if load.duration_s is None else t0_perf_ns + int(load.duration_s * 1e9)
            latest_deadline = max(latest_deadline, deadline_ns)
            user = VirtualUser(
                self, self.groups[slot.group_index], steps, load.think_time, load.iterations, deadline_ns
            )
            self.users.append(user)
        self.unfinished = len(self.users)
        if latest_deadline < NEVER_NS:
            self.end_ns = latest_deadline + int(self.plan.graceful_stop_s * 1e9)

    # -- running -------------------------------------------------------------------------------------

    async def run(self, t0_epoch_ns: int) -> WorkerResult:
        """Start users at t0 (epoch ns) plus their offsets; return when all are finished."""
        loop = self.loop = asyncio.get_running_loop()
        self.epoch_offset_ns = time_ns() - perf_counter_ns()
        t0_perf_ns = t0_epoch_ns - self.epoch_offset_ns
        loop_t0 = loop.time() + (t0_perf_ns - perf_counter_ns()) / 1e9
        self._build_users(t0_perf_ns)
        self.done = loop.create_future()
        for user, slot in zip(self.users, self.spec.users, strict=True):
            self.handles.append(loop.call_at(loop_t0 + slot.start_offset_s, user.start))
        if not self.users:
            self.done.set_result(None)
        self._schedule_tick(loop_t0, 1)
        sweep_s = min(0.1, max(0.01, self.timeout_s / 10))
        self._sweep_handle = loop.call_later(sweep_s, self._sweep, sweep_s)
        try:
            await self.done
        finally:
            for handle in self.handles:
                handle.cancel()
            self._sweep_handle.cancel()
            self._tick_handle.cancel()
        self._tick(self._next_second)  # the last, partial second
        self.writer.close()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return WorkerResult(
            label_totals=tuple(s.totals() for s in self.label_stats.values()),
            rows_written=self.writer.rows_written,
            cpu_s=usage.ru_utime + usage.ru_stime,
            interrupted=self.interrupted,
        )

    def request_stop(self) -> None:
        """Stop now (Ctrl-C, SIGTERM): requests in flight are abandoned, recorded rows are kept."""
        if self.stopping:
            return
        self.stopping = True
        self.interrupted = True
        for user in self.users:
            user.finish()
        self._check_done()

    def user_started(self, user: VirtualUser) -> None:
        user.group.local += 1
        self.local_active += 1
        self._publish_counts()

    def user_finished(self, user: VirtualUser) -> None:
        if user.started:
            user.group.local -= 1
            self.local_active -= 1
            self._publish_counts()
        self.unfinished -= 1
        self._check_done()

    def _check_done(self) -> None:
        if self.unfinished <= 0 and self.done is not None and not self.done.done():
            self.done.set_result(None)

    def _publish_counts(self) -> None:
        shared = self.shared_counts
        n_groups = len(self.groups)
        if shared is None:
            for group in self.groups:
                group.threads = group.local
            self.all_threads = self.local_active
            self._update_counts_text()
            return
        base = self.spec.worker_index * n_groups
        for group in self.groups:
            shared[base + group.index] = group.local
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        shared = self.shared_counts
        if shared is None:
            return
        n_groups = len(self.groups)
        values = shared[:]
        total = 0
        for group in self.groups:
            group.threads = sum(values[group.index :: n_groups])
            total += group.threads
        self.all_threads = total
        self._update_counts_text()

    def _update_counts_text(self) -> None:
        for group in self.groups:
            group.counts_text = f",{group.threads},{self.all_threads}"

    def _sweep(self, interval_s: float) -> None:
        now_ns = perf_counter_ns()
        timeout_ns = self.timeout_ns
        for user in self.users:
            if user.finished:
                continue
            conn = user.conn
            if conn is not None and conn.in_flight:
                conn.check_timeout(now_ns, timeout_ns)
            if now_ns >= user.deadline_ns and (user.timer is not None or now_ns >= self.end_ns):
                user.finish()  # thinking past the end, or in flight past the graceful stop
            elif user.started and user.is_stuck():
                # Not waiting for anything (a bug raised inside a callback): end the user rather
                # than let the run hang.
                user.finish()
        self._refresh_counts()
        self._sweep_handle = self.loop.call_later(interval_s, self._sweep, interval_s)

    def _schedule_tick(self, loop_t0: float, second: int) -> None:
        self._next_second = second
        self._tick_handle = self.loop.call_at(loop_t0 + second, self._on_tick, loop_t0, second)

    def _on_tick(self, loop_t0: float, second: int) -> None:
        self._tick(second)
        self._schedule_tick(loop_t0, second + 1)

    def _tick(self, second: int) -> None:
        """Flush the part file and report the second that just ended."""
        self.writer.flush()
        histogram = self.second_histogram
        samples = errors = 0
        for stats in self.label_stats.values():
            n, e = stats.roll(histogram)
            samples += n
            errors += e
        self.report(
            ("tick", self.spec.worker_index, second, samples, errors, self.local_active, encode(histogram))
        )
        histogram.reset()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed (several times less overhead per I/O event), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def raise_open_files_limit(wanted: int) -> None:
    """Raise the soft RLIMIT_NOFILE towards the hard limit so thousands of users can connect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def run_worker_in_loop(
    spec: WorkerSpec, t0_epoch_ns: int, report: Callable[[Message], None], shared_counts: Any = None
) -> WorkerResult:
    """Run one worker to completion on a fresh event loop in this thread (tests, Dask tasks)."""
    loop = new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        worker = Worker(spec, report, shared_counts)
        return loop.run_until_complete(worker.run(t0_epoch_ns))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def worker_process_main(spec: WorkerSpec, control: Any, shared_counts: Sequence[int] | None) -> None:
    """Entry point of a worker process started by the runner; ``control`` is its end of a Pipe.

    Protocol: send ("ready",); receive ("start", t0_epoch_ns) or ("stop",); send ("tick", ...)
    each second; receive ("stop",) at any time (EOF counts as stop); finally send ("done", result).
    """
    # Ctrl-C reaches every process of the terminal's group: the runner alone decides, and tells us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_open_files_limit(len(spec.users) + 256)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    worker = Worker(spec, control.send, shared_counts)
    control.send(("ready",))
    message = control.recv()
    if message[0] != "start":
        worker.writer.close()
        control.send(("done", WorkerResult((), 0, 0.0, True)))
        return

    def on_control() -> None:
        try:
            command = control.recv()
        except (EOFError, OSError):
            loop.remove_reader(control.fileno())
            worker.request_stop()
            return
        if command[0] == "stop":
            worker.request_stop()

    loop.add_reader(control.fileno(), on_control)
    loop.add_signal_handler(signal.SIGTERM, worker.request_stop)
    try:
        result = loop.run_until_complete(worker.run(message[1]))
    finally:
        loop.remove_reader(control.fileno())
        loop.close()
    control.send(("done", result))
