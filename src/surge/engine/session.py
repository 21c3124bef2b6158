"""A user's session for scripted users: ``await session.get(...)`` on surge's own HTTP client.

Scenario files and Python users both run as an async function called once per iteration with a
``Session``. Unlike the plain hot path (``surge.engine.user``), a session keeps each response's
headers and body (for extraction and checks) and costs a future per request; plain ``surge run``
never uses it.

A response's sample row is written when the user's next action starts (the next request, a think
time, the end of the iteration), so checks made on it in between (``response.fail``,
``session.check``) mark that sample failed with a JMeter-style ``failureMessage``.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from time import perf_counter_ns
from typing import Any
from urllib.parse import urlencode, urljoin

from surge.engine.client import (
    NO_RESPONSE,
    RUN_ENDED,
    HttpConnection,
    PreparedRequest,
    describe_connect_error,
    run_ended_message,
)
from surge.engine.response import CapturingConnection, Response
from surge.engine.summary import LabelStats
from surge.engine.unit import GroupState, WorkerContext
from surge.engine.user import reconnect_pause_s
from surge.errors import UsageError
from surge.results.jtl_write import format_row
from surge.results.sample import Sample, non_http_code, non_http_error_kind, non_http_message

__all__ = ["Response", "Session", "StopUser"]  # Response: where users have always found it


class StopUser(Exception):
    """Raised inside a user function when the user must stop (end of the run, data exhausted)."""


class _Pending:
    """A finished request whose row waits for the user's checks."""

    __slots__ = ("code", "connect_ms", "data_type", "elapsed_ms", "error_kind", "latency_ms", "message",
                 "ok", "received", "response", "sent", "start_ms", "stats", "url")  # fmt: skip

    def __init__(
        self,
        response: Response,
        stats: LabelStats,
        start_ms: int,
        code: str,
        message: str,
        ok: bool,
        error_kind: str,
        data_type: str,
        received: int,
        sent: int,
        latency_ms: int,
        connect_ms: int,
    ) -> None:
        self.response = response
        self.stats = stats
        self.start_ms = start_ms
        self.elapsed_ms = response.elapsed_ms
        self.code = code  # responseCode and responseMessage
        self.message = message
        self.ok = ok
        self.error_kind = error_kind  # "" for an HTTP response: "status reason", built only if it fails
        self.data_type = data_type
        self.received = received
        self.sent = sent
        self.latency_ms = latency_ms
        self.connect_ms = connect_ms
        self.url = response.url


class Session:
    """One virtual user's HTTP session: a keep-alive connection, variables, and sample recording."""

    def __init__(
        self,
        worker: WorkerContext,
        group: GroupState,
        thread_name: str,
        user_number: int,
        base_url: str = "",
        deadline_ns: int = 1 << 62,
    ) -> None:
        self.worker = worker
        self.group_state = group
        self.thread_name = thread_name
        self.user_number = user_number
        self.base_url = base_url
        self.deadline_ns = deadline_ns
        self.vars: dict[str, str] = {}  # scenario variables: feeder columns, extracted values
        self.iteration = 0
        self.conn: CapturingConnection | None = None
        self._future: asyncio.Future[tuple[str | None, str, int]] | None = None
        self._pending: _Pending | None = None
        self._last: Response | None = None
        self._retried = False
        self._connect_failures = 0  # in a row: the pause before the next attempt grows with them
        # The request being sent or waited for: (url, label, stats, start ns, bytes sent), for
        # ``record_waiting`` when the run ends meanwhile.
        self._waiting: tuple[str, str, LabelStats, int, int] | None = None
        self.rows_written = 0  # samples this user recorded (its iterations tell whether they sent any)

    # -- the API of a user function ---------------------------------------------------------------

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> Response:
        return await self.request("DELETE", url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> Response:
        return await self.request("HEAD", url, **kwargs)

    async def request(
        self,
        method: str,
        url: str,
        *,
        label: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: bytes | str | None = None,
        json: Any = None,
    ) -> Response:
        """Send one request and wait for its response; failures come back in ``Response.error``."""
        target_url = self.resolve(url)
        if params:
            target_url += ("&" if "?" in target_url else "?") + urlencode(params, doseq=True)
        header_items = list(headers.items()) if headers else []
        payload_body = b""
        if json is not None:
            payload_body = jsonlib.dumps(json, separators=(",", ":")).encode()
            if not any(name.lower() == "content-type" for name, _ in header_items):
                header_items.append(("Content-Type", "application/json"))
        elif body is not None:
            payload_body = body.encode() if isinstance(body, str) else body
        prepared = self.worker.prepare(
            method.upper(), target_url, tuple(header_items), payload_body, label or ""
        )
        return await self.send_prepared(prepared)

    def check(self, condition: bool, message: str) -> bool:
        """Fail the last response's sample with ``message`` unless ``condition`` holds."""
        if not condition and self._last is not None:
            self._last.fail(message)
        return condition

    async def think(self, seconds: float) -> None:
        """Pause; a pause reaching past the end of the run ends the user instead."""
        self.flush()
        self._check_running()
        if seconds <= 0:
            return
        remaining_s = (self.deadline_ns - perf_counter_ns()) / 1e9
        if seconds >= remaining_s:
            await asyncio.sleep(max(0.0, remaining_s))
            raise StopUser
        await asyncio.sleep(seconds)

    def resolve(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        if not self.base_url:
            raise UsageError(f"relative URL {url!r} without a base URL")
        return urljoin(self.base_url, url)

    # -- engine side -------------------------------------------------------------------------------

    async def send_prepared(self, prepared: PreparedRequest) -> Response:
        """Send a request (bytes built by ``Worker.prepare``) and wait for the response."""
        self.flush()
        self._check_running()
        worker = self.worker
        url = prepared.url
        stats = worker.stats_for(prepared.label)
        loop = worker.loop
        start_ns = perf_counter_ns()
        self._retried = False
        # Cleared on every way out below; left set only when the task is cancelled, which
        # ``record_waiting`` has cleared first.
        self._waiting = (url, prepared.label, stats, start_ns, prepared.sent_bytes)
        conn = self.conn
        if conn is None or conn.origin != prepared.origin or conn.transport is None:
            if conn is not None:
                self.conn = None
                conn.close()
            error = await self._connect(prepared.origin, prepared.scheme, prepared.host, prepared.port)
            if error is not None:
                now_ns = perf_counter_ns()
                self._waiting = None
                response = self._record_failure(url, prepared.label, stats, error, start_ns, now_ns, None, 0)
                await self._pause_after_connect_failure()
                return response
        while True:
            conn = self.conn
            assert conn is not None
            future: asyncio.Future[tuple[str | None, str, int]] = loop.create_future()
            self._future = future
            conn.send(prepared.payload, start_ns, prepared.is_head)
            code, message, now_ns = await future
            self._future = None
            if code == NO_RESPONSE and conn.requests_sent > 1 and not self._retried:
                # The server closed an idle keep-alive connection as we reused it: retry once.
                self._retried = True
                error = await self._connect(prepared.origin, prepared.scheme, prepared.host, prepared.port)
                if error is None:
                    continue
                self._waiting = None
                response = self._record_failure(
                    url, prepared.label, stats, error, start_ns, perf_counter_ns(), None, 0
                )
                await self._pause_after_connect_failure()
                return response
            break
        self._waiting = None
        if code is not None:
            return self._record_failure(
                url, prepared.label, stats, (code, message), start_ns, now_ns, conn, prepared.sent_bytes
            )
        return self._record_response(url, prepared.label, stats, conn, start_ns, now_ns, prepared.sent_bytes)

    async def _connect(
        self, origin: tuple[str, str, int], scheme: str, host: str, port: int
    ) -> tuple[str, str] | None:
        worker = self.worker
        conn = CapturingConnection(self, origin)
        try:
            await asyncio.wait_for(
                worker.loop.create_connection(
                    lambda: conn, host, port, ssl=worker.tls_context() if scheme == "https" else None
                ),
                worker.timeout_s,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure to connect is a failed sample, never a crash
            conn.close()
            return describe_connect_error(exc)
        self.conn = conn
        self._connect_failures = 0
        return None

    async def _pause_after_connect_failure(self) -> None:
        """Wait before the user's next attempt, as a plain user does (``user.reconnect_pause_s``)."""
        self._connect_failures += 1
        remaining_s = (self.deadline_ns - perf_counter_ns()) / 1e9
        await asyncio.sleep(max(0.0, min(reconnect_pause_s(self._connect_failures), remaining_s)))

    def record_waiting(self, now_ns: int, interrupted: bool) -> bool:
        """The run ends: record the request being sent or waited for as a failed ``RunEnded`` sample.

        Returns True when there was one. The caller then cancels the user's task, which drops it.
        """
        waiting = self._waiting
        if waiting is None:
            return False
        self._waiting = None
        url, label, stats, start_ns, sent = waiting
        conn = self.conn
        in_flight = conn is not None and conn.in_flight
        if conn is not None:
            conn.in_flight = False  # recorded here: the connection must not report it again
        message = run_ended_message(interrupted, connecting=not in_flight)
        self.flush()
        self._record_failure(
            url, label, stats, (RUN_ENDED, message), start_ns, now_ns, conn if in_flight else None,
            sent if in_flight else 0,
        )  # fmt: skip
        self.flush()
        return True

    def _record_response(
        self,
        url: str,
        label: str,
        stats: LabelStats,
        conn: CapturingConnection,
        start_ns: int,
        now_ns: int,
        sent: int,
    ) -> Response:
        worker = self.worker
        off = worker.epoch_offset_ns
        start_ms = (start_ns + off) // 1_000_000
        reason = conn.reason.decode("latin-1")
        elapsed_ms = (now_ns + off) // 1_000_000 - start_ms
        parts = conn.body_parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        response = Response(url, conn.status, reason, conn.header_list, body, elapsed_ms, None)
        connect_ms = 0
        if conn.connect_ns:
            connect_ms = (conn.connect_ns + off) // 1_000_000 - start_ms
            conn.connect_ns = 0
        self._pending = _Pending(
            response,
            stats,
            start_ms,
            str(conn.status),
            reason,
            worker.ok_by_status[conn.status],
            "",
            "text",
            conn.received,
            sent,
            (conn.first_byte_ns + off) // 1_000_000 - start_ms,
            connect_ms,
        )
        stats.append((now_ns - start_ns) // 1000)
        stats.received += conn.received
        stats.sent += sent
        self._last = response
        if not conn.keep_alive:
            self.conn = None
            conn.close()
        return response

    def _record_failure(
        self,
        url: str,
        label: str,
        stats: LabelStats,
        error: tuple[str, str],
        start_ns: int,
        now_ns: int,
        conn: CapturingConnection | None,
        sent: int,
    ) -> Response:
        off = self.worker.epoch_offset_ns
        start_ms = (start_ns + off) // 1_000_000
        code, message = error
        received = conn.received if conn is not None else 0
        elapsed_ms = (now_ns + off) // 1_000_000 - start_ms
        response = Response(url, 0, "", {}, b"", elapsed_ms, f"{code}: {message}")
        first_byte_ns = conn.first_byte_ns if conn is not None and conn.received else 0
        connect_ns = conn.connect_ns if conn is not None else 0
        self._pending = _Pending(
            response,
            stats,
            start_ms,
            non_http_code(code),
            non_http_message(message),
            False,
            non_http_error_kind(code, message),
            "",
            received,
            sent,
            (first_byte_ns + off) // 1_000_000 - start_ms if first_byte_ns else 0,
            (connect_ns + off) // 1_000_000 - start_ms if connect_ns else 0,
        )
        stats.append((now_ns - start_ns) // 1000)
        stats.received += received
        stats.sent += sent
        self._last = response
        return response

    def flush(self) -> None:
        """Write the last response's row, now that the user's checks on it are done."""
        p = self._pending
        if p is None:
            return
        self._pending = None
        response = p.response
        assert response is not None
        failure = response.failure_message
        ok = (p.ok or response.status_accepted) and failure is None
        stats = p.stats
        if not ok:
            stats.errors += 1
            kind = failure if failure is not None else p.error_kind or f"{response.status} {response.reason}"
            stats.error_kinds[kind] += 1
        group = self.group_state
        sample = Sample(
            timestamp_ms=p.start_ms,
            elapsed_ms=p.elapsed_ms,
            label=stats.label,
            response_code=p.code,
            response_message=p.message,
            thread_name=self.thread_name,
            data_type=p.data_type,
            success=ok,
            failure_message=failure or "",
            bytes_received=p.received,
            bytes_sent=p.sent,
            grp_threads=group.threads,
            all_threads=group.all_threads,
            url=p.url,
            latency_ms=p.latency_ms,
            connect_ms=p.connect_ms,
        )
        self.worker.rows_append(format_row(sample))
        self.rows_written += 1

    def record_exception(self, label: str, exc: BaseException, start_ns: int) -> None:
        """A user function raised: record a failed sample named after it (as JMeter's sampler errors)."""
        self.flush()
        now_ns = perf_counter_ns()
        stats = self.worker.stats_for(label)
        text = str(exc).replace("\n", " ")[:200] or type(exc).__name__
        self._record_failure("", label, stats, (type(exc).__name__, text), start_ns, now_ns, None, 0)
        self.flush()

    def _check_running(self) -> None:
        if self.worker.stopping or perf_counter_ns() >= self.deadline_ns:
            raise StopUser

    def close(self) -> None:
        conn = self.conn
        if conn is not None:
            self.conn = None
            conn.in_flight = False  # an abandoned request is not a sample
            conn.close()

    # -- ConnectionOwner ---------------------------------------------------------------------------

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        future = self._future
        if future is not None and not future.done():
            future.set_result((None, "", now_ns))

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        if conn is self.conn:
            self.conn = None
        future = self._future
        if future is not None and not future.done():
            future.set_result((code, message, now_ns))

    def connection_closed(self, conn: HttpConnection) -> None:
        if conn is self.conn:
            self.conn = None
