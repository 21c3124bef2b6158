"""A user's session for scripted users: ``await session.get(...)`` on surge's own HTTP client.

Scenario files, Python users and JMeter plans all run as an async function called once per
iteration with a ``Session``. Unlike the plain hot path (``surge.engine.user``), a session keeps
each response's headers and body (for extraction and checks), a cookie jar
(``surge.engine.cookies``), follows redirects (``surge.engine.redirects``) and costs a future
per request; plain ``surge run`` never uses it.

A response's sample row is written when the user's next action starts (the next request, a think
time, the end of the iteration), so checks made on it in between (``response.fail``,
``session.check``) mark that sample failed with a JMeter-style ``failureMessage``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from time import perf_counter_ns
from urllib.parse import urljoin

from surge.engine.client import (
    NO_RESPONSE,
    RUN_ENDED,
    HttpConnection,
    PreparedRequest,
    describe_connect_error,
    run_ended_message,
)
from surge.engine.cookies import CookieJar
from surge.engine.redirects import (
    REDIRECT_STATUSES,
    TOO_MANY_REDIRECTS,
    SessionOptions,
    location_of,
    redirect_method,
    too_many_redirects_message,
    without_body_headers,
)
from surge.engine.response import CapturingConnection, Response
from surge.engine.sender import reconnect_pause_s
from surge.engine.session_api import StopUser, UserApi
from surge.engine.session_record import (
    PendingSample,
    chain_sample,
    count,
    count_error,
    error_hop,
    failure_hop,
    response_hop,
    to_sample,
)
from surge.engine.unit import GroupState, WorkerContext
from surge.errors import UsageError
from surge.results.jtl_write import format_row
from surge.results.sample import Sample

__all__ = ["Response", "Session", "SessionOptions", "StopUser"]  # Response: where users have always found it

# Told every sample a session records (``transaction`` is True for a transaction controller's).
SampleListener = Callable[[Sample, bool], None]


class Session(UserApi):
    """One virtual user's HTTP session: a keep-alive connection, cookies, variables, sample recording.

    What a user function calls (``get``, ``post``, ``check``, ``think``...) is in ``UserApi``.
    """

    def __init__(
        self,
        worker: WorkerContext,
        group: GroupState,
        thread_name: str,
        user_number: int,
        base_url: str = "",
        deadline_ns: int = 1 << 62,
        options: SessionOptions | None = None,
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
        self.cookies: CookieJar | None = None
        self.follow_redirects = True
        self.max_redirects = 0
        self.record_redirects = True
        self.connect_to: dict[tuple[str, int], tuple[str, int]] = {}
        self.configure(options if options is not None else SessionOptions())
        # Transaction controllers (``surge.scenario.jmx``): listeners see every sample recorded;
        # while ``capture`` is a list, samples go there (with their sub-samples) instead of the file.
        self.listeners: list[SampleListener] = []
        self.capture: list[tuple[Sample, list[Sample]]] | None = None
        self._future: asyncio.Future[tuple[str | None, str, int]] | None = None
        self._pending: PendingSample | None = None
        self._last: Response | None = None
        self._retried = False
        self._connect_failures = 0  # in a row: the pause before the next attempt grows with them
        # The request being sent or waited for: (url, label, start ns, bytes sent), for
        # ``record_waiting`` when the run ends meanwhile; with the hops of its redirect chain so far.
        self._waiting: tuple[str, str, int, int] | None = None
        self._chain: list[PendingSample] | None = None
        self.rows_written = 0  # samples this user recorded (its iterations tell whether they sent any)

    def configure(self, options: SessionOptions) -> None:
        """Set how this user treats cookies and redirects (a fresh, empty jar when cookies are on)."""
        self.cookies = CookieJar() if options.cookies else None
        self.follow_redirects = options.follow_redirects
        self.max_redirects = options.max_redirects
        self.record_redirects = options.record_redirects
        self.connect_to = {
            (host, port): (to_host, to_port) for host, port, to_host, to_port in options.connect_to
        }

    # -- engine side -------------------------------------------------------------------------------

    async def send_prepared(
        self, prepared: PreparedRequest, follow_redirects: bool | None = None
    ) -> Response:
        """Send a request (bytes built by ``Worker.prepare``), following redirects as configured."""
        if self._pending is not None:
            self.flush()
        if self.worker.stopping or perf_counter_ns() >= self.deadline_ns:
            raise StopUser
        conn = self.conn
        jar = self.cookies
        if (
            conn is not None
            and conn.transport is not None
            and conn.origin == prepared.origin
            and (jar is None or not jar.cookies or prepared.has_cookie_header)
        ):
            # The common case, inlined (one coroutine less per request): the open connection,
            # no cookie to add.
            start_ns = perf_counter_ns()
            sent = prepared.sent_bytes
            self._retried = False
            self._waiting = (prepared.url, prepared.label, start_ns, sent)
            future: asyncio.Future[tuple[str | None, str, int]] = self.worker.loop.create_future()
            self._future = future
            conn.send(prepared.payload, start_ns, prepared.is_head)
            code, message, now_ns = await future
            self._future = None
            settled = self._settle(prepared, conn, code, message, start_ns, now_ns, sent)
            hop = settled if settled is not None else await self._exchange(prepared, start_ns)
        else:
            hop = await self._exchange(prepared)
        follow = self.follow_redirects if follow_redirects is None else follow_redirects
        if not follow or hop.response.status not in REDIRECT_STATUSES:
            self._pending = hop
            self._last = hop.response
            return hop.response
        hops = self._chain = [hop]
        request = prepared.request
        method = request.method
        try:
            while True:
                response = hop.response
                location = location_of(response)
                if location is None:
                    break  # a redirect status without a Location: nothing to follow
                if len(hops) > self.max_redirects:
                    hops.append(self._too_many(hop))
                    break
                method = redirect_method(method, response.status)
                keep_body = method == request.method and response.status in (307, 308)
                headers = request.headers if keep_body else without_body_headers(request.headers)
                url = urljoin(response.url, location.strip().replace(" ", "%20"))
                try:
                    prepared = self.worker.prepare(
                        method, url, headers, request.body if keep_body else b"", request.label
                    )
                except UsageError as exc:  # a Location this client cannot follow (ftp://, no host)
                    hops.append(self._bad_location(hop, str(exc)))
                    break
                hop = await self._exchange(prepared)
                hops.append(hop)
                if hop.response.status not in REDIRECT_STATUSES:
                    break
        finally:
            self._chain = None
        pending = chain_sample(hops, request.label, self.record_redirects)
        self._pending = pending
        self._last = pending.response
        return pending.response

    async def _exchange(self, prepared: PreparedRequest, retry_of_ns: int = 0) -> PendingSample:
        """One request and its response (or failure), not yet recorded.

        ``retry_of_ns``: the start of an attempt whose reused connection the server had closed;
        this is its one retry, on a new connection, and the sample still starts then.
        """
        url = prepared.url
        start_ns = retry_of_ns or perf_counter_ns()
        self._retried = bool(retry_of_ns)
        payload = prepared.payload
        jar = self.cookies
        if jar is not None and jar.cookies and not prepared.has_cookie_header:
            value = jar.header(prepared.scheme, prepared.host, prepared.path)
            if value:
                payload = prepared.with_cookie(value)
        sent = len(payload)
        # Cleared on every way out below; left set only when the task is cancelled, which
        # ``record_waiting`` has cleared first.
        self._waiting = (url, prepared.label, start_ns, sent)
        conn = self.conn
        if conn is None or conn.origin != prepared.origin or conn.transport is None:
            if conn is not None:
                self.conn = None
                conn.close()
            error = await self._connect(prepared.origin, prepared.scheme, prepared.host, prepared.port)
            if error is not None:
                self._waiting = None
                hop = self._failure(url, prepared.label, error, start_ns, perf_counter_ns(), None, 0)
                await self._pause_after_connect_failure()
                return hop
        loop = self.worker.loop
        while True:
            conn = self.conn
            assert conn is not None
            future: asyncio.Future[tuple[str | None, str, int]] = loop.create_future()
            self._future = future
            conn.send(payload, start_ns, prepared.is_head)
            code, message, now_ns = await future
            self._future = None
            settled = self._settle(prepared, conn, code, message, start_ns, now_ns, sent)
            if settled is not None:
                return settled
            self._retried = True
            error = await self._connect(prepared.origin, prepared.scheme, prepared.host, prepared.port)
            if error is not None:
                self._waiting = None
                hop = self._failure(url, prepared.label, error, start_ns, perf_counter_ns(), None, 0)
                await self._pause_after_connect_failure()
                return hop

    def _settle(
        self,
        prepared: PreparedRequest,
        conn: CapturingConnection,
        code: str | None,
        message: str,
        start_ns: int,
        now_ns: int,
        sent: int,
    ) -> PendingSample | None:
        """The sample of a finished attempt; None when it must be retried once on a new connection."""
        if code is None:
            self._waiting = None
            hop = self._response(prepared.url, prepared.label, conn, start_ns, now_ns, sent)
            jar = self.cookies
            if jar is not None and hop.response.may_set_cookies():
                for header, raw in hop.response.raw_headers:
                    if header.lower() == b"set-cookie":
                        jar.store(raw.decode("latin-1"), prepared.host, prepared.path)
            return hop
        if code == NO_RESPONSE and conn.requests_sent > 1 and not self._retried:
            # The server closed an idle keep-alive connection as we reused it: retry once.
            return None
        self._waiting = None
        return self._failure(prepared.url, prepared.label, (code, message), start_ns, now_ns, conn, sent)

    async def _connect(
        self, origin: tuple[str, str, int], scheme: str, host: str, port: int
    ) -> tuple[str, str] | None:
        worker = self.worker
        conn = CapturingConnection(self, origin, worker.response_cache)
        tls = worker.tls_context() if scheme == "https" else None
        name = host if tls is not None else None
        host, port = (
            self.connect_to.get((host.lower(), port), (host, port)) if self.connect_to else (host, port)
        )
        try:
            await asyncio.wait_for(
                worker.loop.create_connection(lambda: conn, host, port, ssl=tls, server_hostname=name),
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
        A redirect chain in progress is recorded with it, the waiting request as its last hop.
        """
        waiting = self._waiting
        if waiting is None:
            return False
        self._waiting = None
        url, label, start_ns, sent = waiting
        conn = self.conn
        in_flight = conn is not None and conn.in_flight
        if conn is not None:
            conn.in_flight = False  # recorded here: the connection must not report it again
        message = run_ended_message(interrupted, connecting=not in_flight)
        self.flush()
        hop = self._failure(
            url, label, (RUN_ENDED, message), start_ns, now_ns, conn if in_flight else None,
            sent if in_flight else 0,
        )  # fmt: skip
        hops = self._chain
        if hops:
            self._chain = None
            hops.append(hop)
            hop = chain_sample(hops, hops[0].label, self.record_redirects)
        self._pending = hop
        self._last = hop.response
        self.flush()
        return True

    def _response(
        self, url: str, label: str, conn: CapturingConnection, start_ns: int, now_ns: int, sent: int
    ) -> PendingSample:
        hop = response_hop(self.worker, url, label, conn, start_ns, now_ns, sent)
        if not conn.keep_alive:
            self.conn = None
            conn.close()
        return hop

    def _failure(
        self,
        url: str,
        label: str,
        error: tuple[str, str],
        start_ns: int,
        now_ns: int,
        conn: CapturingConnection | None,
        sent: int,
    ) -> PendingSample:
        return failure_hop(self.worker.epoch_offset_ns, url, label, error, start_ns, now_ns, conn, sent)

    def _too_many(self, last: PendingSample) -> PendingSample:
        """The failed hop that ends a chain longer than ``max_redirects`` (as JMeter adds one)."""
        return error_hop(last, TOO_MANY_REDIRECTS, too_many_redirects_message(self.max_redirects))

    def _bad_location(self, last: PendingSample, why: str) -> PendingSample:
        return error_hop(last, "InvalidRedirect", why)

    def flush(self) -> None:
        """Write the last response's row (and its redirect hops'), now that its checks are done."""
        p = self._pending
        if p is None:
            return
        self._pending = None
        response = p.response
        failure = response.failure_message
        ok = (p.ok or response.status_accepted) and failure is None
        worker = self.worker
        stats = worker.stats_for(p.label)
        stats.append(p.elapsed_us)
        stats.received += p.received
        stats.sent += p.sent
        if not ok:
            count_error(stats, p, failure)
        group = self.group_state
        sample = Sample(
            p.start_ms, p.elapsed_ms, p.label, p.code, p.message, self.thread_name, p.data_type, ok,
            failure or "", p.received, p.sent, group.threads, group.all_threads, p.url, p.latency_ms, 0,
            p.connect_ms,
        )  # fmt: skip
        if p.subs is None and not self.listeners and self.capture is None:
            self.rows_written += 1
            worker.rows_append(format_row(sample))
            return
        subs: list[Sample] = []
        if p.subs is not None:
            for index, hop in enumerate(p.subs):
                label = f"{p.label}-{index}"
                count(worker.stats_for(label), hop, hop.ok, None)
                subs.append(
                    to_sample(hop, label, hop.ok, "", self.thread_name, group.threads, group.all_threads)
                )
        self.emit(sample, subs)

    def emit(self, sample: Sample, subs: list[Sample], transaction: bool = False) -> None:
        """Record a sample and its sub-samples (rows of the results file, or a transaction's capture)."""
        for listener in self.listeners:
            listener(sample, transaction)
        self.rows_written += 1 + len(subs)
        capture = self.capture
        if capture is not None:
            capture.append((sample, subs))
            return
        append = self.worker.rows_append
        append(format_row(sample))
        for sub in subs:
            append(format_row(sub))

    def record_exception(self, label: str, exc: BaseException, start_ns: int) -> None:
        """A user function raised: record a failed sample named after it (as JMeter's sampler errors)."""
        self.flush()
        now_ns = perf_counter_ns()
        text = str(exc).replace("\n", " ")[:200] or type(exc).__name__
        self._pending = self._failure("", label, (type(exc).__name__, text), start_ns, now_ns, None, 0)
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
