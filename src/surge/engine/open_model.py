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

from surge.engine.client import HttpConnection, PreparedRequest
from surge.engine.schedule import arrival_offsets_s
from surge.engine.sender import StepSender
from surge.engine.step import Step
from surge.engine.summary import LabelStats
from surge.engine.unit import GroupState, WorkerContext
from surge.plan import UserGroup
from surge.results.jtl_write import RowParts

# An arrival sent later than this after its intended time is late (timer jitter stays well below).
LATE_TOLERANCE_MS = 25
_LATE_TOLERANCE_NS = LATE_TOLERANCE_MS * 1_000_000
# Arrivals due within this much of a timer firing are sent in the same batch.
_BATCH_NS = 500_000


class Slot(StepSender):
    """One connection of an open group: sends one arrival at a time, then goes back to the pool."""

    __slots__ = ("dispatcher", "finished", "intended_ns", "number", "sent_ns", "start_ns", "steps")

    def __init__(self, dispatcher: ArrivalDispatcher, number: int) -> None:
        self.dispatcher = dispatcher
        self.worker = dispatcher.worker
        self.group = dispatcher.state
        self.number = number
        self.steps: dict[int, Step] = {}
        self.step = None
        self.intended_ns = 0
        self.sent_ns = 0
        self.start_ns = 0
        self.retried = False
        self.finished = False
        self.connecting = None
        self.conn = None
        self.connect_failures = 0

    def step_for(self, index: int) -> Step:
        step = self.steps.get(index)
        if step is None:
            d = self.dispatcher
            p = d.prepared[index]
            thread_name = f"{d.group_name} {self.group.index + 1}-{self.number}"
            step = Step(p, RowParts(p.label, thread_name, p.url), d.stats[index])
            self.steps[index] = step
        return step

    def send(self, index: int, intended_ns: int, now_ns: int) -> None:
        step = self.step_for(index)
        self.step = step
        self.intended_ns = intended_ns
        # A batch may send an arrival up to _BATCH_NS early: its queueing delay is then 0, not
        # negative, and its sample starts when it was sent, so that a response faster than the
        # head start never has a negative elapsed time.
        if now_ns > intended_ns:
            self.sent_ns = now_ns
            self.start_ns = intended_ns
        else:
            self.sent_ns = intended_ns
            self.start_ns = now_ns
        self.retried = False
        self.send_step(step, now_ns)

    def abandon(self, now_ns: int, interrupted: bool) -> bool:
        """The dispatcher finished: record the request still waiting (True if one was), send nothing more."""
        self.finished = True
        recorded = self.record_waiting(now_ns, interrupted)
        self.drop_connection()
        return recorded

    # -- StepSender --------------------------------------------------------------------------------

    def failure_times(self, start_ns: int, connect_ns: int) -> tuple[int, int, tuple[str, ...]]:
        # A sample starts at its intended time (or when sent, if earlier); Connect is the set-up
        # itself, from the actual start; queueTime follows the 17 columns.
        connect_ms = (connect_ns - start_ns) // 1_000_000 if connect_ns else 0
        return self.start_ns, connect_ms, (str((self.sent_ns - self.intended_ns) // 1_000_000),)

    def after_failure(self, now_ns: int) -> None:
        self.dispatcher.slot_free(self, now_ns)

    # -- ConnectionOwner: the hot path ---------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        # The closed model's VirtualUser.response_complete with another start (the intended time),
        # Connect and trailing queueTime column; kept apart so neither hot path pays for the other.
        worker = self.worker
        step = self.step
        assert step is not None
        off = worker.epoch_offset_ns
        start_ns = self.start_ns
        start_ms = (start_ns + off) // 1_000_000
        received = conn.received
        counts_text = self.group.counts_text
        if (
            received != step.tail_received
            or counts_text is not step.tail_counts
            or conn.status != step.mid_status
            or conn.reason != step.mid_reason
        ):
            step.cache_row(conn.status, conn.reason, worker.ok_by_status[conn.status], received, counts_text)
        connect_ns = conn.connect_ns
        connect_ms = 0
        if connect_ns:
            conn.connect_ns = 0
            connect_ms = (connect_ns - conn.start_ns) // 1_000_000
        stats = step.stats
        stats.append((now_ns - start_ns) // 1000)
        stats.received += received
        stats.sent += step.sent
        if not step.mid_ok:
            stats.errors += 1
            stats.error_kinds[step.mid_error] += 1
        worker.rows_append(
            f"{start_ms},{(now_ns + off) // 1_000_000 - start_ms}{step.tail}"
            f"{(conn.first_byte_ns + off) // 1_000_000 - start_ms},0,{connect_ms},"
            f"{(self.sent_ns - self.intended_ns) // 1_000_000}\n"
        )
        if not conn.keep_alive:
            self.conn = None
            conn.close()
        self.dispatcher.slot_free(self, now_ns)


class ArrivalDispatcher:
    """Sends one open group's arrivals (this process's share) at their intended times."""

    def __init__(
        self,
        worker: WorkerContext,
        group: UserGroup,
        state: GroupState,
        stats: list[LabelStats],
        prepared: list[PreparedRequest],
        t0_perf_ns: int,
    ) -> None:
        load = group.load
        self.worker = worker
        self.group_name = f"{worker.thread_prefix}{group.name}"
        self.state = state
        self.stats = stats
        self.prepared = prepared
        self.t0_perf_ns = t0_perf_ns
        self.processes = processes = worker.processes
        self.worker_index = worker_index = worker.worker_index
        assert load.rate_per_s is not None and load.duration_s is not None
        self.max_slots = max(1, math.ceil(load.max_in_flight / processes))
        self._offsets: Iterator[float] = arrival_offsets_s(
            load.rate_per_s, load.planned_stages, worker_index, processes
        )
        self.arrival_number = worker_index  # global arrival index k: picks request k mod n
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
            self.worker.connections_changed(self.state, 1)
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
            if conn is not None and conn.check_timeout(now_ns, timeout_ns):
                slot.connect_timed_out(now_ns)
        if now_ns >= self.deadline_ns and self.pending:
            # Queued past the end of the run: they will never be sent; say so rather than drop them.
            self.late += len(self.pending)
            self.unsent += len(self.pending)
            self.pending.clear()
            self._check_done()
        if now_ns >= end_ns:
            self.finish()

    def finish(self, interrupted: bool = False) -> None:
        """End the group's arrivals; requests still waiting are recorded as failed samples."""
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
        now_ns = perf_counter_ns()
        for slot in self.slots:
            if slot.abandon(now_ns, interrupted):
                self.worker.waiting_recorded()
        self.worker.connections_changed(self.state, -len(self.slots))
        self.worker.unit_finished()
