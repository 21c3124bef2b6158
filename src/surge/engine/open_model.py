"""Open model: requests sent at intended times (an arrival rate), timed from those times as wrk2 does.

One ``ArrivalDispatcher`` per open user group in a worker walks the group's arrival times
(``schedule.arrival_offsets_s``, this process's share) with one timer at a time: when it fires,
every arrival now due is handed to an idle connection (a ``Slot``), or to a new one while fewer
than the process's share of ``max_in_flight`` exist, or else queued until a slot frees up.

Each sample's ``timeStamp`` is the intended send time and ``elapsed``/``Latency`` run from it, so a
server stall shows in full in every request that should have been sent meanwhile (no coordinated
omission). The queueing delay, intended to actual send, goes in the trailing ``queueTime`` column;
an arrival sent more than ``LATE_TOLERANCE_MS`` after its time is counted as late, and one still
queued when the run ends is counted as late and unsent: none is silently dropped.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Iterator
from time import perf_counter_ns
from typing import TYPE_CHECKING

from surge.engine.client import NO_RESPONSE, HttpConnection, PreparedRequest, describe_connect_error
from surge.engine.schedule import arrival_offsets_s
from surge.engine.summary import LabelStats
from surge.engine.user import GroupState, Step
from surge.plan import UserGroup
from surge.results.jtl_write import RowParts, quote_field
from surge.results.sample import non_http_code, non_http_message

if TYPE_CHECKING:
    from surge.engine.worker import Worker

# An arrival sent later than this after its intended time is late (timer jitter stays well below).
LATE_TOLERANCE_MS = 25
_LATE_TOLERANCE_NS = LATE_TOLERANCE_MS * 1_000_000
# Arrivals due within this much of a timer firing are sent in the same batch.
_BATCH_NS = 500_000


class Slot:
    """One connection of an open group: sends one arrival at a time, then goes back to the pool."""

    __slots__ = (
        "conn",
        "connecting",
        "dispatcher",
        "intended_ns",
        "number",
        "retried",
        "sent_ns",
        "step",
        "steps",
    )

    def __init__(self, dispatcher: ArrivalDispatcher, number: int) -> None:
        self.dispatcher = dispatcher
        self.number = number
        self.steps: dict[int, Step] = {}
        self.step: Step | None = None
        self.intended_ns = 0
        self.sent_ns = 0
        self.retried = False
        self.connecting: asyncio.Task[None] | None = None
        self.conn: HttpConnection | None = None

    def step_for(self, index: int) -> Step:
        step = self.steps.get(index)
        if step is None:
            d = self.dispatcher
            p = d.prepared[index]
            thread_name = f"{d.group_name} {d.state.index + 1}-{self.number}"
            step = Step(p, RowParts(p.label, thread_name, p.url), d.stats[index])
            self.steps[index] = step
        return step

    def send(self, index: int, intended_ns: int, now_ns: int) -> None:
        step = self.step_for(index)
        self.step = step
        self.intended_ns = intended_ns
        # A batch may send an arrival up to _BATCH_NS early: its queueing delay is then 0, not negative.
        self.sent_ns = now_ns if now_ns > intended_ns else intended_ns
        self.retried = False
        conn = self.conn
        if conn is not None and conn.origin is step.origin and conn.transport is not None:
            conn.send(step.payload, now_ns, step.is_head)
            return
        if conn is not None:
            self.conn = None
            conn.close()
        self.connecting = self.dispatcher.worker.loop.create_task(self.connect(step, now_ns))

    async def connect(self, step: Step, start_ns: int) -> None:
        worker = self.dispatcher.worker
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
            self.record_failure(step, code, message, now_ns, 0, 0, 0, now_ns - start_ns)
            self.dispatcher.slot_free(self, now_ns)
            return
        finally:
            self.connecting = None
        if self.dispatcher.finished:
            conn.close()
            return
        self.conn = conn
        conn.send(step.payload, start_ns, step.is_head)

    # -- ConnectionOwner ---------------------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        d = self.dispatcher
        worker = d.worker
        step = self.step
        assert step is not None
        off = worker.epoch_offset_ns
        intended_ns = self.intended_ns
        start_ms = (intended_ns + off) // 1_000_000
        if conn.status != step.mid_status or conn.reason != step.mid_reason:
            step.cache_status(conn.status, conn.reason, worker.ok_by_status[conn.status])
        connect_ns = conn.connect_ns
        connect_ms = 0
        if connect_ns:
            conn.connect_ns = 0
            connect_ms = (connect_ns - conn.start_ns) // 1_000_000
        received = conn.received
        stats = step.stats
        stats.append((now_ns - intended_ns) // 1000)
        stats.received += received
        stats.sent += step.sent
        if not step.mid_ok:
            stats.errors += 1
            stats.error_kinds[step.mid_error] += 1
        worker.rows_append(
            f"{start_ms},{(now_ns + off) // 1_000_000 - start_ms}{step.mid}{received}{step.sent_part}"
            f"{d.state.counts_text}{step.url_part}{(conn.first_byte_ns + off) // 1_000_000 - start_ms},0,"
            f"{connect_ms},{(self.sent_ns - intended_ns) // 1_000_000}\n"
        )
        if not conn.keep_alive:
            self.conn = None
            conn.close()
        d.slot_free(self, now_ns)

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        step = self.step
        assert step is not None
        if conn is self.conn:
            self.conn = None
        if code == NO_RESPONSE and conn.requests_sent > 1 and not self.retried:
            self.retried = True  # a keep-alive connection closed by the server as we reused it
            self.connecting = self.dispatcher.worker.loop.create_task(self.connect(step, conn.start_ns))
            return
        first_byte_ns = conn.first_byte_ns if conn.received else 0
        connect_ns = conn.connect_ns - conn.start_ns if conn.connect_ns else 0
        self.record_failure(step, code, message, now_ns, conn.received, step.sent, first_byte_ns, connect_ns)
        self.dispatcher.slot_free(self, now_ns)

    def connection_closed(self, conn: HttpConnection) -> None:
        if conn is self.conn:
            self.conn = None

    def record_failure(
        self,
        step: Step,
        code: str,
        message: str,
        now_ns: int,
        received: int,
        sent: int,
        first_byte_ns: int,
        connect_duration_ns: int,
    ) -> None:
        d = self.dispatcher
        off = d.worker.epoch_offset_ns
        intended_ns = self.intended_ns
        start_ms = (intended_ns + off) // 1_000_000
        latency_ms = (first_byte_ns + off) // 1_000_000 - start_ms if first_byte_ns else 0
        stats = step.stats
        stats.append((now_ns - intended_ns) // 1000)
        stats.errors += 1
        stats.error_kinds[f"{non_http_code(code)} ({message})"] += 1
        stats.received += received
        stats.sent += sent
        parts = step.parts
        fields = f"{quote_field(non_http_code(code))},{quote_field(non_http_message(message))}"
        d.worker.rows_append(
            f"{start_ms},{(now_ns + off) // 1_000_000 - start_ms}{parts.label_part}{fields}"
            f"{parts.thread_part_err}false,,{received},{sent}{d.state.counts_text}"
            f"{parts.url_part}{latency_ms},0,{connect_duration_ns // 1_000_000},"
            f"{(self.sent_ns - intended_ns) // 1_000_000}\n"
        )

    def abandon(self) -> None:
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
        conn = self.conn
        if conn is not None:
            self.conn = None
            conn.in_flight = False  # an abandoned request is not a sample
            conn.close()


class ArrivalDispatcher:
    """Sends one open group's arrivals (this process's share) at their intended times."""

    def __init__(
        self,
        worker: Worker,
        group: UserGroup,
        state: GroupState,
        stats: list[LabelStats],
        prepared: list[PreparedRequest],
        t0_perf_ns: int,
    ) -> None:
        load = group.load
        spec = worker.spec
        self.worker = worker
        self.group_name = group.name
        self.state = state
        self.stats = stats
        self.prepared = prepared
        self.t0_perf_ns = t0_perf_ns
        self.processes = spec.processes
        self.worker_index = spec.worker_index
        assert load.rate_per_s is not None and load.duration_s is not None
        self.max_slots = max(1, math.ceil(load.max_in_flight / spec.processes))
        self._offsets: Iterator[float] = arrival_offsets_s(
            load.rate_per_s, load.planned_stages, spec.worker_index, spec.processes
        )
        self.arrival_number = spec.worker_index  # global arrival index k: picks request k mod n
        self.deadline_ns = t0_perf_ns + int(load.duration_s * 1e9)
        self.next_ns: int | None = None
        self.pending: deque[tuple[int, int]] = deque()  # (request index, intended ns) waiting for a slot
        self.idle: list[Slot] = []
        self.slots: list[Slot] = []
        self.busy = 0
        self.arrivals = 0
        self.late = 0
        self.unsent = 0
        self.max_queue_ns = 0
        self.started = False
        self.finished = False
        self.timer: asyncio.TimerHandle | None = None
        self._loop_t0 = 0.0

    def start(self, loop_t0: float) -> None:
        self.started = True
        self._loop_t0 = loop_t0
        self._advance()
        self._arm()

    def _advance(self) -> None:
        offset_s = next(self._offsets, None)
        self.next_ns = None if offset_s is None else self.t0_perf_ns + int(offset_s * 1e9)

    def _arm(self) -> None:
        if self.next_ns is None:
            self._check_done()
            return
        loop = self.worker.loop
        when = self._loop_t0 + (self.next_ns - self.t0_perf_ns) / 1e9
        self.timer = loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self.timer = None
        if self.finished:
            return
        now_ns = perf_counter_ns()
        n_requests = len(self.prepared)
        while self.next_ns is not None and self.next_ns <= now_ns + _BATCH_NS:
            index = self.arrival_number % n_requests
            self.arrival_number += self.processes
            self.arrivals += 1
            self._dispatch(index, self.next_ns, now_ns)
            self._advance()
        self._arm()

    def _dispatch(self, index: int, intended_ns: int, now_ns: int) -> None:
        if self.idle:
            slot = self.idle.pop()
        elif len(self.slots) < self.max_slots:
            slot = Slot(self, len(self.slots) * self.processes + self.worker_index + 1)
            self.slots.append(slot)
            self.state.local += 1
            self.worker.local_active += 1
            self.worker.counts_changed()
        else:
            self.pending.append((index, intended_ns))
            return
        self._sending(slot, index, intended_ns, now_ns)

    def _sending(self, slot: Slot, index: int, intended_ns: int, now_ns: int) -> None:
        self.busy += 1
        queue_ns = now_ns - intended_ns
        if queue_ns > _LATE_TOLERANCE_NS:
            self.late += 1
        if queue_ns > self.max_queue_ns:
            self.max_queue_ns = queue_ns
        slot.send(index, intended_ns, now_ns)

    def slot_free(self, slot: Slot, now_ns: int) -> None:
        self.busy -= 1
        if self.finished:
            return
        if self.pending:
            index, intended_ns = self.pending.popleft()
            self._sending(slot, index, intended_ns, now_ns)
            return
        self.idle.append(slot)
        self._check_done()

    def _check_done(self) -> None:
        if self.next_ns is None and self.busy == 0 and not self.pending:
            self.finish()

    def sweep(self, now_ns: int, timeout_ns: int, end_ns: int) -> None:
        """Read timeouts; at the end of the run stop queuing, after the graceful stop abandon all."""
        for slot in self.slots:
            conn = slot.conn
            if conn is not None and conn.in_flight:
                conn.check_timeout(now_ns, timeout_ns)
        if now_ns >= self.deadline_ns and self.pending:
            # Queued past the end of the run: they will never be sent; say so rather than drop them.
            self.late += len(self.pending)
            self.unsent += len(self.pending)
            self.pending.clear()
            self._check_done()
        if now_ns >= end_ns:
            self.finish()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        # Arrivals not yet due are not counted: the run ends at its duration.
        self.unsent += len(self.pending)
        self.late += len(self.pending)
        self.pending.clear()
        for slot in self.slots:
            slot.abandon()
        self.worker.local_active -= len(self.slots)
        self.state.local -= len(self.slots)
        self.worker.counts_changed()
        self.worker.unit_finished()
