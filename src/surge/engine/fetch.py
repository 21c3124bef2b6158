"""``fetch``: one timed request on a new connection, outside any run (tests, health checks, tools)."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from time import perf_counter_ns

from surge.engine.client import HttpConnection, PreparedRequest, describe_connect_error, make_ssl_context
from surge.plan import Request


@dataclass(frozen=True)
class FetchResult:
    """One request made by ``fetch``: figures in ns from the request start; error is (code, message)."""

    status: int
    reason: str
    received_bytes: int
    sent_bytes: int
    connect_ns: int
    latency_ns: int
    elapsed_ns: int
    keep_alive: bool
    error: tuple[str, str] | None


class _FetchOwner:
    def __init__(self, future: asyncio.Future[tuple[int, str | None, str]]) -> None:
        self.future = future

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        if not self.future.done():
            self.future.set_result((now_ns, None, ""))

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        if not self.future.done():
            self.future.set_result((now_ns, code, message))

    def connection_closed(self, conn: HttpConnection) -> None:
        pass


async def fetch(
    request: Request, *, timeout_s: float = 30.0, ssl_context: ssl.SSLContext | None = None
) -> FetchResult:
    """Make one request on a new connection and time it (for tests, health checks and tools).

    Failures are returned in ``error``, never raised.
    """
    loop = asyncio.get_running_loop()
    prepared = PreparedRequest(request)
    future: asyncio.Future[tuple[int, str | None, str]] = loop.create_future()
    conn = HttpConnection(_FetchOwner(future), prepared.origin)
    start_ns = perf_counter_ns()
    if prepared.scheme == "https" and ssl_context is None:
        ssl_context = make_ssl_context(insecure=False)
    try:
        await asyncio.wait_for(
            loop.create_connection(
                lambda: conn,
                prepared.host,
                prepared.port,
                ssl=ssl_context if prepared.scheme == "https" else None,
            ),
            timeout_s,
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        now_ns = perf_counter_ns()
        code, message = describe_connect_error(exc)
        return FetchResult(0, "", 0, 0, now_ns - start_ns, 0, now_ns - start_ns, False, (code, message))
    conn.send(prepared.payload, start_ns, prepared.is_head)
    timeout_ns = int(timeout_s * 1e9)
    while not future.done():
        await asyncio.wait([future], timeout=min(timeout_s, 0.05))
        conn.check_timeout(perf_counter_ns(), timeout_ns)
    end_ns, failure_code, message = future.result()
    conn.close()
    error = (failure_code, message) if failure_code is not None else None
    return FetchResult(
        status=conn.status if error is None else 0,
        reason=conn.reason.decode("latin-1") if error is None else "",
        received_bytes=conn.received,
        sent_bytes=prepared.sent_bytes,
        connect_ns=conn.connect_ns - start_ns,
        latency_ns=(conn.first_byte_ns - start_ns) if conn.received else 0,
        elapsed_ns=end_ns - start_ns,
        keep_alive=conn.keep_alive,
        error=error,
    )
