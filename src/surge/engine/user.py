"""A virtual user: one keep-alive connection looping over its requests, writing one JTL row each.

This is the load generator's hot path. Everything runs from callbacks (no task, future or timer
per request): when a response completes in the connection's ``data_received``, the user writes
its row and sends the next request right there.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from surge.engine.client import (
    HttpConnection,
)
from surge.engine.schedule import think_time_s
from surge.engine.sender import StepSender, reconnect_pause_s
from surge.engine.step import Step
from surge.engine.unit import GroupState, WorkerContext
from surge.plan import ThinkTime

# Elapsed and Latency in ms as text, from a table for the common values: cheaper than formatting
# an int per row.
MS_TEXT = tuple(str(ms) for ms in range(10_000))
MS_TEXT_COUNT = len(MS_TEXT)


class VirtualUser(StepSender):
    """A user looping over its steps on one keep-alive connection; the connection's owner."""

    __slots__ = (
        "deadline_ns",
        "finished",
        "index",
        "iteration",
        "iterations",
        "n_steps",
        "pause_s",
        "repeat_step",
        "started",
        "steps",
        "think",
        "timer",
    )

    def __init__(
        self,
        worker: WorkerContext,
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
        self.step: Step = steps[0]
        self.think: ThinkTime | None = None if think.is_zero else think
        self.iterations = iterations if iterations is not None else -1
        # One request, again and again until the deadline: the hot path skips the step bookkeeping.
        self.repeat_step = self.n_steps == 1 and self.think is None and self.iterations < 0
        self.deadline_ns = deadline_ns
        self.index = 0
        self.iteration = 0
        self.conn: HttpConnection | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.started = False
        self.finished = False
        self.retried = False
        self.connect_failures = 0
        self.pause_s = 0.0  # before the next request: the reconnect pause after a failed connection

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
        self.drop_connection()
        self.worker.user_finished(self)

    def end_run(self, now_ns: int, interrupted: bool) -> bool:
        """The run ends: record the request still waiting (True if there was one), then finish."""
        recorded = self.record_waiting(now_ns, interrupted)
        self.finish()
        return recorded

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
        self.send_step(step, start_ns)

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
        pause_s = self.pause_s
        if self.think is None and not pause_s:
            self.send_next()
            return
        if self.think is not None:
            pause_s += think_time_s(self.think, self.worker.rng)
        self.pause_s = 0.0
        self.timer = self.worker.loop.call_later(pause_s, self.send_next)

    # -- ConnectionOwner: the hot path ------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        # The hot path: every line here runs once per request, so it avoids calls and lookups.
        # Milliseconds are the perf counter's: the epoch offset is whole ms (Worker.set_epoch_offset).
        worker = self.worker
        step = self.step
        start_ns = conn.start_ns
        received = conn.received
        status = conn.status
        reason = conn.reason
        first_byte_ns = conn.first_byte_ns
        connect_ns = conn.connect_ns
        if connect_ns:
            conn.connect_ns = 0
        # The same request again on this connection: it goes out before this response's row and
        # statistics are written, so the server works on it meanwhile (its sample starts now).
        again = self.repeat_step and conn.keep_alive and now_ns < self.deadline_ns
        if again:
            self.retried = False
            conn.send(step.payload, perf_counter_ns(), step.is_head)
        start_ms = start_ns // 1_000_000
        if start_ms != worker.stamp_ms:
            worker.restamp(start_ms)
        counts_text = self.group.counts_text
        if (
            received != step.tail_received
            or counts_text is not step.tail_counts
            or status != step.mid_status
            or reason != step.mid_reason
        ):
            step.cache_row(status, reason, worker.ok_by_status[status], received, counts_text)
        elapsed_ms = now_ns // 1_000_000 - start_ms
        elapsed_text = MS_TEXT[elapsed_ms] if elapsed_ms < MS_TEXT_COUNT else str(elapsed_ms)
        # A response read whole in one go had its first byte when it ended: no second division.
        latency_text = elapsed_text if first_byte_ns == now_ns else str(first_byte_ns // 1_000_000 - start_ms)
        end_text = f",0,{connect_ns // 1_000_000 - start_ms}\n" if connect_ns else ",0,0\n"
        stats = step.stats
        stats.append((now_ns - start_ns) // 1000)
        stats.received += received
        stats.sent += step.sent
        if not step.mid_ok:
            stats.errors += 1
            stats.error_kinds[step.mid_error] += 1
        worker.rows_append(f"{worker.stamp},{elapsed_text}{step.tail}{latency_text}{end_text}")
        if again:
            return
        if not conn.keep_alive:
            self.conn = None
            conn.close()
            self.advance(now_ns)
            return
        # advance() and send_next() inlined for the common case: same connection, no think time.
        if self.think is not None or now_ns >= self.deadline_ns:
            self.advance(now_ns)
            return
        index = self.index + 1
        if index == self.n_steps:
            if self.iteration + 1 == self.iterations:
                self.advance(now_ns)
                return
            self.iteration += 1
            index = 0
        self.index = index
        step = self.steps[index]
        self.step = step
        if conn.origin is not step.origin:
            self.send_next()
            return
        self.retried = False
        conn.send(step.payload, perf_counter_ns(), step.is_head)

    # -- StepSender ----------------------------------------------------------------------------------

    def failure_times(self, start_ns: int, connect_ns: int) -> tuple[int, int, tuple[str, ...]]:
        # A sample starts when the attempt does; Connect is the difference of two epoch-ms readings.
        off = self.worker.epoch_offset_ns
        connect_ms = (connect_ns + off) // 1_000_000 - (start_ns + off) // 1_000_000 if connect_ns else 0
        return start_ns, connect_ms, ()

    def after_failure(self, now_ns: int) -> None:
        self.advance(now_ns)

    def after_connect_failure(self, now_ns: int) -> None:
        self.connect_failures += 1
        self.pause_s = reconnect_pause_s(self.connect_failures)
        self.advance(now_ns)
