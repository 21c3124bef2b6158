"""A virtual user: one keep-alive connection looping over its requests, writing one JTL row each.

This is the load generator's hot path. Everything runs from callbacks (no task, future or timer
per request): when a response completes in the connection's ``data_received``, the user writes
its row and sends the next request right there.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from surge.engine.client import (
    NO_RESPONSE,
    RUN_ENDED,
    TIMEOUT,
    HttpConnection,
    PreparedRequest,
    describe_connect_error,
    run_ended_message,
)
from surge.engine.schedule import think_time_s
from surge.engine.summary import LabelStats
from surge.engine.unit import GroupState, WorkerContext
from surge.plan import ThinkTime
from surge.results.jtl_write import RowParts, format_row, status_fields
from surge.results.sample import Sample, non_http_code, non_http_error_kind, non_http_message

# Elapsed and Latency in ms as text, from a table for the common values: cheaper than formatting
# an int per row.
MS_TEXT = tuple(str(ms) for ms in range(10_000))
MS_TEXT_COUNT = len(MS_TEXT)

# A user whose connection attempt failed (refused, unreachable, timed out) waits before the next
# attempt: 10 ms, doubling up to 1 s, until a connection succeeds. Without it, a target that refuses
# at once turns every user into a busy loop of failed samples (100k a second, a core at 100 %).
RECONNECT_PAUSE_FIRST_S = 0.01
RECONNECT_PAUSE_MAX_S = 1.0


def reconnect_pause_s(failures: int) -> float:
    """The pause after ``failures`` connection attempts in a row have failed (``failures`` >= 1)."""
    return min(RECONNECT_PAUSE_MAX_S, RECONNECT_PAUSE_FIRST_S * float(1 << min(failures - 1, 30)))


class Step:
    """One request as one user makes it: prepared bytes, pre-quoted row pieces, label stats.

    What a request needs is copied from the ``PreparedRequest`` (one attribute lookup each in the
    hot path); where to connect is read from ``prepared`` itself. ``tail`` caches the row's middle,
    from the label to the URL, for the last status, reason, bytes received and thread counts seen
    (``cache_row``), so a steady stream of the same ``200 OK`` costs four comparisons per row.
    """

    __slots__ = (
        "is_head",
        "mid",
        "mid_error",
        "mid_ok",
        "mid_reason",
        "mid_status",
        "origin",
        "parts",
        "payload",
        "prepared",
        "sent",
        "sent_part",
        "stats",
        "tail",
        "tail_counts",
        "tail_received",
        "url_part",
    )

    def __init__(self, prepared: PreparedRequest, parts: RowParts, stats: LabelStats) -> None:
        self.prepared = prepared
        self.origin = prepared.origin
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
        self.mid_error = ""
        self.tail = ""
        self.tail_received = -1
        self.tail_counts = ""

    def cache_row(self, status: int, reason: bytes, ok: bool, received: int, counts_text: str) -> None:
        """Rebuild ``tail``: ``,label,code,message,thread,text,success,,bytes,sent,grp,all,URL,``."""
        if status != self.mid_status or reason != self.mid_reason:
            self.cache_status(status, reason, ok)
        self.tail_received = received
        self.tail_counts = counts_text
        self.tail = f"{self.mid}{received}{self.sent_part}{counts_text}{self.url_part}"

    def cache_status(self, status: int, reason: bytes, ok: bool) -> None:
        self.mid_status = status
        self.mid_reason = reason
        self.mid_ok = ok
        parts = self.parts
        text = reason.decode("latin-1")
        self.mid_error = f"{status} {text}"
        fields = status_fields(status, text)
        self.mid = f"{parts.label_part}{fields}{parts.thread_part_ok}{'true' if ok else 'false'},,"


class StepSender:
    """Owner of one keep-alive connection that sends ``Step``s: connects, retries, records failures.

    Shared by the closed model's ``VirtualUser`` and the open model's ``Slot``. Each keeps its own
    ``response_complete`` (the hot path, inlined), and says through ``failure_times`` when its
    samples start and what its rows end with, and through ``after_failure`` what comes next.
    """

    __slots__ = ("conn", "connect_failures", "connecting", "group", "retried", "step", "worker")

    worker: WorkerContext
    group: GroupState
    step: Step | None
    conn: HttpConnection | None
    connecting: asyncio.Task[None] | None
    retried: bool
    finished: bool
    connect_failures: int  # connection attempts failed in a row (VirtualUser's reconnect pause)

    def send_step(self, step: Step, start_ns: int) -> None:
        """Send on the open connection to the step's origin, else (re)connect first."""
        conn = self.conn
        if conn is not None and conn.origin is step.origin and conn.transport is not None:
            conn.send(step.payload, start_ns, step.is_head)
            return
        if conn is not None:
            self.conn = None
            conn.close()
        self.connect_and_send(step, start_ns)

    def connect_and_send(self, step: Step, start_ns: int) -> None:
        """Open a new connection that sends the step's request from its ``connection_made``.

        ``self.conn`` is the new connection from now on (its ``transport`` is None until made).
        There is no ``wait_for`` (a task and a timer more per connection, and two more loop turns
        before the request goes out): the worker's sweep ends attempts that take longer than the
        timeout (``connect_timed_out``).
        """
        conn = HttpConnection(self, step.origin, self.worker.response_cache)
        conn.send_when_connected(step.payload, start_ns, step.is_head)
        self.conn = conn
        self.connecting = self.worker.loop.create_task(self.connect(conn, step))

    async def connect(self, conn: HttpConnection, step: Step) -> None:
        worker = self.worker
        prepared = step.prepared
        try:
            await worker.loop.create_connection(
                lambda: conn,
                prepared.host,
                prepared.port,
                ssl=worker.ssl_context if prepared.scheme == "https" else None,
            )
        except Exception as exc:  # any failure to connect is a failed sample, never a crash
            if conn is not self.conn or conn.in_flight:
                return  # abandoned meanwhile, or the request went out: the connection reports it
            self.conn = None
            conn.close()
            now_ns = perf_counter_ns()
            code, message = describe_connect_error(exc)
            self.record_failure(step, code, message, conn.start_ns, now_ns, None)
            self.after_connect_failure(now_ns)
            return
        self.connect_failures = 0
        if self.finished:
            conn.close()

    def connect_timed_out(self, now_ns: int) -> None:
        """The sweep found the connection still being made after the timeout: a failed sample."""
        conn = self.conn
        step = self.step
        assert conn is not None and step is not None
        self.conn = None
        conn.close()
        if self.connecting is not None:
            self.connecting.cancel()
            self.connecting = None
        self.record_failure(step, TIMEOUT, "Connect timed out", conn.start_ns, now_ns, None)
        self.after_connect_failure(now_ns)

    def record_waiting(self, now_ns: int, interrupted: bool) -> bool:
        """The run ends: record the request still waiting, if any, as a failed ``RunEnded`` sample.

        Waiting means sent and not yet answered (in full), or its connection not yet made. Its
        elapsed time is the time waited so far. Returns True when a sample was recorded; the
        caller then drops the connection.
        """
        conn = self.conn
        step = self.step
        if conn is None or step is None or conn.closed:
            return False
        if conn.in_flight:
            conn.in_flight = False  # recorded here: the connection must not report it again
            message = run_ended_message(interrupted, connecting=False)
            self.record_failure(step, RUN_ENDED, message, conn.start_ns, now_ns, conn)
        elif conn.pending:
            message = run_ended_message(interrupted, connecting=True)
            self.record_failure(step, RUN_ENDED, message, conn.start_ns, now_ns, None)
        else:
            return False
        return True

    def drop_connection(self) -> None:
        """Abandon the connection attempt or the request in flight (not recorded)."""
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
        conn = self.conn
        if conn is not None:
            self.conn = None
            conn.in_flight = False  # an abandoned request is not a sample
            conn.close()

    def failure_times(self, start_ns: int, connect_ns: int) -> tuple[int, int, tuple[str, ...]]:
        """(sample start ns, Connect ms, the row's extra fields) of a failed attempt begun at start_ns."""
        raise NotImplementedError

    def after_failure(self, now_ns: int) -> None:
        raise NotImplementedError

    def after_connect_failure(self, now_ns: int) -> None:
        """After a failed connection attempt; by default as after any failure."""
        self.after_failure(now_ns)

    # -- ConnectionOwner ----------------------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        raise NotImplementedError  # each model's own hot path

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        step = self.step
        assert step is not None
        if conn is self.conn:
            self.conn = None
        if code == NO_RESPONSE and conn.requests_sent > 1 and not self.retried:
            # The server closed an idle keep-alive connection as we reused it: retry once on a new one.
            self.retried = True
            self.connect_and_send(step, conn.start_ns)
            return
        self.record_failure(step, code, message, conn.start_ns, now_ns, conn)
        self.after_failure(now_ns)

    def connection_closed(self, conn: HttpConnection) -> None:
        if conn is self.conn:
            self.conn = None

    def record_failure(
        self, step: Step, code: str, message: str, start_ns: int, now_ns: int, conn: HttpConnection | None
    ) -> None:
        """A failed sample; ``conn`` is None when connecting failed (Connect then lasts until now)."""
        if conn is None:
            received = sent = first_byte_ns = 0
            connect_ns = now_ns
        else:
            received = conn.received
            sent = step.sent
            first_byte_ns = conn.first_byte_ns if received else 0
            connect_ns = conn.connect_ns
        base_ns, connect_ms, extra = self.failure_times(start_ns, connect_ns)
        worker = self.worker
        off = worker.epoch_offset_ns
        start_ms = (base_ns + off) // 1_000_000
        stats = step.stats
        stats.append((now_ns - base_ns) // 1000)
        stats.errors += 1
        stats.error_kinds[non_http_error_kind(code, message)] += 1
        stats.received += received
        stats.sent += sent
        parts = step.parts
        group = self.group
        sample = Sample(
            timestamp_ms=start_ms,
            elapsed_ms=(now_ns + off) // 1_000_000 - start_ms,
            label=parts.label,
            response_code=non_http_code(code),
            response_message=non_http_message(message),
            thread_name=parts.thread_name,
            data_type="",
            success=False,
            failure_message="",
            bytes_received=received,
            bytes_sent=sent,
            grp_threads=group.threads,
            all_threads=group.all_threads,
            url=parts.url,
            latency_ms=(first_byte_ns + off) // 1_000_000 - start_ms if first_byte_ns else 0,
            connect_ms=connect_ms,
        )
        worker.rows_append(format_row(sample, extra))


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
