"""One worker: one event loop (uvloop when installed) running its share of virtual users.

The users themselves (the hot path) are in ``surge.engine.user``. Once a second the worker flushes its part
file and reports counts and an HDR snapshot of that second; a sweep every few tens of ms
enforces read timeouts and the end of the run. Nothing is shared with other workers except an
array of active-user counts (for JTL's grpThreads/allThreads), read at most every sweep.

``Worker`` is transport-agnostic (``report`` is any callable taking a ``surge.engine.messages``
message), so the same code runs in a local process (``surge.engine.worker_process``) and as a
Dask task (``surge.cluster.node``).
"""

from __future__ import annotations

import asyncio
import random
import resource
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns, time_ns
from typing import Any

from surge.engine.async_user import AsyncUser
from surge.engine.client import PreparedRequest, ResponseCache, make_ssl_context
from surge.engine.histogram import PROGRESS_DIGITS, encode, new_histogram
from surge.engine.messages import (
    LabelSecond,
    Tick,
    WorkerMessage,
    WorkerResult,
    WriteFailed,
)
from surge.engine.open_model import ArrivalDispatcher
from surge.engine.rowstream import RowStream
from surge.engine.schedule import UserSlot
from surge.engine.session import Session
from surge.engine.step import Step
from surge.engine.summary import LabelStats
from surge.engine.unit import Behaviour, BoundBehaviour, GroupState, LoadUnit
from surge.engine.user import VirtualUser
from surge.errors import UsageError
from surge.plan import Plan, Request
from surge.results.columns import DEFAULT_HEADER
from surge.results.jtl_write import QUEUE_HEADER, JtlPartWriter, RowParts

# Scripted users build request bytes per distinct request; beyond this many, the cache starts over.
_PREPARED_CACHE_SIZE = 10_000

NEVER_NS = 1 << 62


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker runs: its users (slots) of the plan, and where it writes its rows.

    ``part_path`` None: the rows go to the runner in ``Rows`` messages instead of a file (cluster
    mode). ``clock_offset_ns`` is this machine's clock minus the runner's: timestamps are written
    on the runner's clock. ``thread_prefix`` starts every threadName (a cluster worker's name, as
    JMeter's remote engines prefix theirs).
    """

    plan: Plan
    worker_index: int
    processes: int
    users: tuple[UserSlot, ...]
    part_path: Path | None
    seed: int = 0
    clock_offset_ns: int = 0
    thread_prefix: str = ""
    live_labels: bool = False  # per-label figures in every tick (the live per-label view)


class Worker:
    """Runs ``spec.users`` on the current event loop until they finish or ``request_stop``.

    Its units see it as a ``surge.engine.unit.WorkerContext``: they read the attributes named
    there and act through its methods.
    """

    def __init__(
        self, spec: WorkerSpec, report: Callable[[WorkerMessage], None], shared_counts: Any = None
    ) -> None:
        self.spec = spec
        self.worker_index = spec.worker_index
        self.processes = spec.processes
        self.thread_prefix = spec.thread_prefix
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
        self.set_epoch_offset()
        self.writer: JtlPartWriter | RowStream = (
            RowStream(spec.worker_index, report)
            if spec.part_path is None
            else JtlPartWriter(spec.part_path, QUEUE_HEADER if self.plan.is_open else DEFAULT_HEADER)
        )
        self.rows_append = self.writer.rows.append
        self.groups = [GroupState(i) for i in range(len(self.plan.groups))]
        self.all_threads = 0
        self.local_active = 0
        self.stopping = False
        self.interrupted = False
        self.write_failed = False  # the part file could not be written (see _tick)
        self.users: list[LoadUnit] = []
        self._prepared: dict[tuple[str, str, tuple[tuple[str, str], ...], bytes, str], PreparedRequest] = {}
        self._origins: dict[tuple[str, str, int], tuple[str, str, int]] = {}
        self.dispatchers: list[ArrivalDispatcher] = []
        self.shared: dict[str, Any] = {}  # per-process state of scenario features (feeder cursors)
        # Per-label snapshots in each tick: for live threshold checks and the live per-label view.
        self.live_labels = spec.live_labels or (self.plan.abort_on_fail and bool(self.plan.thresholds))
        self._cpu_reported_s = 0.0  # this process's CPU seconds at the last tick
        self.unfinished = 0
        self.waiting_at_end = 0  # requests recorded as RunEnded samples (see WorkerResult)
        self._waiting_reported = 0  # of which already counted in a tick
        self.label_stats: dict[str, LabelStats] = {}
        self.second_histogram = new_histogram(PROGRESS_DIGITS)
        self.done: asyncio.Future[None] | None = None
        self.handles: list[asyncio.TimerHandle] = []
        self.end_ns = NEVER_NS  # when requests still in flight are abandoned
        self.response_cache = ResponseCache()  # the connections' fast path, refilled every second

    # -- setup ---------------------------------------------------------------------------------------

    def set_epoch_offset(self) -> None:
        """Read the epoch clock once: epoch ns = perf counter ns + ``epoch_offset_ns``.

        The offset is rounded to a whole millisecond (an error of at most 0.5 ms on absolute
        times, far below the clock's own), so epoch milliseconds are perf-counter milliseconds
        plus ``epoch_offset_ms``: the hot path divides small numbers and converts the 13-digit
        timestamp to text once per millisecond (``stamp``, for the millisecond ``stamp_ms``)
        instead of once per row.
        """
        self.epoch_offset_ms = round((time_ns() - self.spec.clock_offset_ns - perf_counter_ns()) / 1_000_000)
        self.epoch_offset_ns = self.epoch_offset_ms * 1_000_000
        self.stamp_ms = -1
        self.stamp = ""

    def prepare(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], body: bytes, label: str
    ) -> PreparedRequest:
        """Request bytes for a scripted user's request, built once per distinct request."""
        key = (method, url, headers, body, label)
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= _PREPARED_CACHE_SIZE:
                self._prepared.clear()
            request = Request(url=url, method=method, headers=headers, body=body, label=label)
            prepared = PreparedRequest(request, self.plan.client.user_agent)
            prepared.origin = self._origins.setdefault(prepared.origin, prepared.origin)
            self._prepared[key] = prepared
        return prepared

    def restamp(self, perf_ms: int) -> None:
        """``stamp`` becomes the epoch-ms text of the perf-counter millisecond ``perf_ms``."""
        self.stamp_ms = perf_ms
        self.stamp = str(perf_ms + self.epoch_offset_ms)

    def stats_for(self, label: str) -> LabelStats:
        stats = self.label_stats.get(label)
        if stats is None:
            stats = self.label_stats[label] = LabelStats(label)
        return stats

    def tls_context(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = make_ssl_context(self.plan.client.insecure)
        return self.ssl_context

    def _build_users(self, t0_perf_ns: int) -> None:
        origins = self._origins
        prepared_by_group: list[list[PreparedRequest]] = []
        for group in self.plan.groups:
            prepared = [PreparedRequest(r, self.plan.client.user_agent) for r in group.requests]
            for p in prepared:
                p.origin = origins.setdefault(p.origin, p.origin)  # one object per origin: `is` checks
                if p.scheme == "https":
                    self.tls_context()  # made now: plain users read ssl_context as they connect
                self.stats_for(p.label)
            prepared_by_group.append(prepared)
        latest_deadline = 0
        for group_index, group in enumerate(self.plan.groups):
            if group.load.is_open:
                prepared = prepared_by_group[group_index]
                stats = [self.label_stats[p.label] for p in prepared]
                dispatcher = ArrivalDispatcher(
                    self, group, self.groups[group_index], stats, prepared, t0_perf_ns
                )
                self.dispatchers.append(dispatcher)
                latest_deadline = max(latest_deadline, dispatcher.deadline_ns)
        bound: dict[int, BoundBehaviour] = {}
        for slot in self.spec.users:
            group = self.plan.groups[slot.group_index]
            thread_name = f"{self.spec.thread_prefix}{group.name} {slot.group_index + 1}-{slot.user_number}"
            if group.behaviour is not None:
                self.users.append(self._scripted_user(slot, thread_name, t0_perf_ns, bound))
                latest_deadline = max(latest_deadline, self.users[-1].deadline_ns)
                continue
            steps = [
                Step(p, RowParts(p.label, thread_name, p.url), self.label_stats[p.label])
                for p in prepared_by_group[slot.group_index]
            ]
            load = group.load
            deadline_ns = _deadline_ns(load.duration_s, t0_perf_ns)
            latest_deadline = max(latest_deadline, deadline_ns)
            user = VirtualUser(
                self, self.groups[slot.group_index], steps, load.think_time, load.iterations, deadline_ns
            )
            self.users.append(user)
        self.unfinished = len(self.users) + len(self.dispatchers)
        if latest_deadline < NEVER_NS:
            self.end_ns = latest_deadline + int(self.plan.graceful_stop_s * 1e9)

    def _scripted_user(
        self, slot: UserSlot, thread_name: str, t0_perf_ns: int, bound: dict[int, BoundBehaviour]
    ) -> AsyncUser:
        group = self.plan.groups[slot.group_index]
        behaviour = bound.get(slot.group_index)
        if behaviour is None:
            if not isinstance(group.behaviour, Behaviour):
                raise UsageError(
                    f"user group {group.name}: {type(group.behaviour).__name__} is not a behaviour"
                )
            behaviour = bound[slot.group_index] = group.behaviour.bind(self)
        load = group.load
        deadline_ns = _deadline_ns(load.duration_s, t0_perf_ns)
        state = self.groups[slot.group_index]
        session = Session(self, state, thread_name, slot.user_number, behaviour.base_url, deadline_ns)
        return AsyncUser(
            self,
            state,
            session,
            behaviour.function,
            behaviour.name,
            load.iterations,
            deadline_ns,
            load.think_time,
        )

    # -- running -------------------------------------------------------------------------------------

    async def run(self, t0_epoch_ns: int) -> WorkerResult:
        """Start users at t0 (epoch ns) plus their offsets; return when all are finished."""
        loop = self.loop = asyncio.get_running_loop()
        self.set_epoch_offset()
        t0_perf_ns = t0_epoch_ns - self.epoch_offset_ns
        loop_t0 = loop.time() + (t0_perf_ns - perf_counter_ns()) / 1e9
        self._build_users(t0_perf_ns)
        before = resource.getrusage(resource.RUSAGE_SELF)
        self._cpu_reported_s = before.ru_utime + before.ru_stime
        self.done = loop.create_future()
        for user, slot in zip(self.users, self.spec.users, strict=True):
            self.handles.append(loop.call_at(loop_t0 + slot.start_offset_s, user.start))
        for dispatcher in self.dispatchers:
            self.handles.append(loop.call_at(loop_t0, dispatcher.start, loop_t0))
        if not self.users and not self.dispatchers:
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
        self._tick(self._next_second, last=True)  # the last, partial second
        self.writer.close()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return WorkerResult(
            label_totals=tuple(s.totals() for s in self.label_stats.values()),
            rows_written=self.writer.rows_written,
            rows_lost=self.writer.rows_lost,
            # The run's own CPU, without the process's start-up (imports, fork): saturation checks use it.
            cpu_s=usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
            interrupted=self.interrupted,
            arrivals=sum(d.arrivals for d in self.dispatchers),
            late_arrivals=sum(d.late for d in self.dispatchers),
            unsent_arrivals=sum(d.unsent for d in self.dispatchers),
            max_queue_ms=max((d.max_queue_ns for d in self.dispatchers), default=0) // 1_000_000,
            waiting_at_end=self.waiting_at_end,
        )

    def request_stop(self) -> None:
        """Stop now (Ctrl-C, SIGTERM): requests still waiting are recorded as failed samples."""
        if self.stopping:
            return
        self.stopping = True
        self.interrupted = True
        now_ns = perf_counter_ns()
        for user in self.users:
            if not user.finished and user.end_run(now_ns, interrupted=True):
                self.waiting_at_end += 1
        for dispatcher in self.dispatchers:
            dispatcher.finish(interrupted=True)
        self._check_done()

    def connections_changed(self, group: GroupState, delta: int) -> None:
        """An open group opened or closed connections here: they count as its active users."""
        group.local += delta
        self.local_active += delta
        self._publish_counts()

    def waiting_recorded(self) -> None:
        """A request still waiting at the end was recorded as a failed sample (``WorkerResult``)."""
        self.waiting_at_end += 1

    def unit_finished(self) -> None:
        """An open group's dispatcher has sent all its arrivals and seen them finish."""
        self.unfinished -= 1
        self._check_done()

    def user_started(self, user: LoadUnit) -> None:
        user.group.local += 1
        self.local_active += 1
        self._publish_counts()

    def user_finished(self, user: LoadUnit) -> None:
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
            group.all_threads = self.all_threads
            group.counts_text = f",{group.threads},{self.all_threads}"

    def _sweep(self, interval_s: float) -> None:
        now_ns = perf_counter_ns()
        timeout_ns = self.timeout_ns
        for user in self.users:
            if user.finished:
                continue
            conn = user.conn
            if conn is not None and conn.check_timeout(now_ns, timeout_ns):
                user.connect_timed_out(now_ns)
            if now_ns >= user.deadline_ns and (user.timer is not None or now_ns >= self.end_ns):
                # Thinking past the end, or still waiting past the graceful stop: recorded.
                if user.end_run(now_ns, interrupted=False):
                    self.waiting_at_end += 1
            elif user.started and user.is_stuck():
                # Not waiting for anything (a bug raised inside a callback): end the user rather
                # than let the run hang.
                user.finish()
        for dispatcher in self.dispatchers:
            if not dispatcher.finished:
                dispatcher.sweep(now_ns, timeout_ns, self.end_ns)
        self._refresh_counts()
        self._sweep_handle = self.loop.call_later(interval_s, self._sweep, interval_s)

    def _schedule_tick(self, loop_t0: float, second: int) -> None:
        self._next_second = second
        self._tick_handle = self.loop.call_at(loop_t0 + second, self._on_tick, loop_t0, second)

    def _on_tick(self, loop_t0: float, second: int) -> None:
        self._tick(second)
        self._schedule_tick(loop_t0, second + 1)

    def _tick(self, second: int, last: bool = False) -> None:
        """Flush the part file and report the second that just ended.

        The run's ``last``, partial second is not reported when nothing happened in it: it would
        show as an all-zero progress line.
        """
        writer = self.writer
        writer.flush()
        if writer.error is not None and not self.write_failed:
            # Disk full, or a file-size limit: say so once, and stop (the runner stops the others).
            self.write_failed = True
            error = writer.error
            self.report(WriteFailed(self.worker_index, f"{error.strerror or error}"))
            self.request_stop()
        self.response_cache.refill()
        histogram = self.second_histogram
        samples = errors = 0
        by_label: list[LabelSecond] | None = [] if self.live_labels else None
        for stats in self.label_stats.values():
            if by_label is not None and (stats.elapsed_us or stats.errors):
                label_histogram = new_histogram(PROGRESS_DIGITS)
                n, e = stats.roll(histogram, label_histogram)
                by_label.append(LabelSecond(stats.label, n, e, stats.max_us, encode(label_histogram)))
            else:
                n, e = stats.roll(histogram)
            samples += n
            errors += e
        # Requests recorded as RunEnded samples since the last tick (all of them in the final one).
        waiting = self.waiting_at_end - self._waiting_reported
        self._waiting_reported = self.waiting_at_end
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = usage.ru_utime + usage.ru_stime
        cpu_delta_s = cpu_s - self._cpu_reported_s if self._cpu_reported_s else 0.0
        self._cpu_reported_s = cpu_s
        if last and not samples and not errors and not waiting:
            histogram.reset()
            return
        self.report(
            Tick(
                worker_index=self.worker_index,
                second=second,
                samples=samples,
                errors=errors,
                active_users=self.local_active,
                histogram=encode(histogram),
                labels=tuple(by_label) if by_label is not None else None,
                waiting_at_end=waiting,
                cpu_s=cpu_delta_s,
            )
        )
        histogram.reset()


def _deadline_ns(duration_s: float | None, t0_perf_ns: int) -> int:
    """When a user sends its last request: the run's duration after t0, or never (iterations only)."""
    return NEVER_NS if duration_s is None else t0_perf_ns + int(duration_s * 1e9)
