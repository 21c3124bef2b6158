"""The owner of one keep-alive connection that sends ``Step``s: connects, retries, records failures.

Shared by the closed model's virtual users (``surge.engine.user``) and the open model's slots
(``surge.engine.open_model``); each keeps its own hot path (``response_complete``).
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from surge.engine.client import (
    NO_RESPONSE,
    RUN_ENDED,
    TIMEOUT,
    HttpConnection,
    describe_connect_error,
    run_ended_message,
)
from surge.engine.step import Step
from surge.engine.unit import GroupState, WorkerContext
from surge.results.jtl_write import format_row
from surge.results.sample import Sample, non_http_code, non_http_error_kind, non_http_message

# A user whose connection attempt failed (refused, unreachable, timed out) waits before the next
# attempt: 10 ms, doubling up to 1 s, until a connection succeeds. Without it, a target that refuses
# at once turns every user into a busy loop of failed samples (100k a second, a core at 100 %).
RECONNECT_PAUSE_FIRST_S = 0.01
RECONNECT_PAUSE_MAX_S = 1.0


def reconnect_pause_s(failures: int) -> float:
    """The pause after ``failures`` connection attempts in a row have failed (``failures`` >= 1)."""
    return min(RECONNECT_PAUSE_MAX_S, RECONNECT_PAUSE_FIRST_S * float(1 << min(failures - 1, 30)))


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
