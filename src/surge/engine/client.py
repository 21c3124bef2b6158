"""HTTP/1.1 client on asyncio Protocols + httptools: one request at a time per connection, timed in ns.

Built for a load generator's hot path, so it differs from general clients:

- The connection never creates a future, a timer or a dict per request. It calls its owner (the
  ``ConnectionOwner``) back when a response is complete or the request failed; the owner reads the
  figures from the connection's slots. Timeouts are enforced by the owner's periodic sweep
  (``check_timeout``), not by one timer per request.
- One httptools parser per connection, reused for every response on it.
- Request bytes are built once per request definition (``PreparedRequest``).
- Time is read once per event with ``time.perf_counter_ns``.

Behaviour: keep-alive reuse, Content-Length, chunked (extensions and trailers), and read-to-EOF
bodies, ``Connection: close``, HEAD (no body whatever the headers say), 1xx responses skipped,
TLS through ``ssl``. Redirects and cookies are not this module's: a scripted user's session
follows and keeps them (``surge.engine.session``). Failures are reported as (code, message)
pairs named after the Python exception, e.g. ``ConnectionRefusedError``; the JTL writer turns
them into JMeter's ``Non HTTP response code: ...`` form.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from time import perf_counter_ns
from typing import Any, Protocol

import httptools

from surge.plan import Request

# Failure codes that are not Python exception names; named like http.client's exceptions.
NO_RESPONSE = "RemoteDisconnected"  # closed before any response byte
INCOMPLETE = "IncompleteRead"  # closed in the middle of a response
TIMEOUT = "TimeoutError"
# A request still waiting (for its response, or for its connection) when the run ended: recorded
# as a failed sample rather than dropped, so a server that hangs cannot look healthy.
RUN_ENDED = "RunEnded"


def run_ended_message(interrupted: bool, connecting: bool) -> str:
    """The message of a ``RUN_ENDED`` sample: why the run ended, and what the request waited for."""
    how = "The run was interrupted" if interrupted else "The run ended"
    what = "its connection" if connecting else "its response"
    return f"{how} while the request was waiting for {what}"


class OutOfSync(Exception):
    """Raised from a parser callback when a response begins that nobody asked for."""


class ResponseCache:
    """Responses learned for the fast path (``HttpConnection._learn``), shared by a worker's connections.

    The fast path depends on the bytes alone, so one cache serves every connection of a worker:
    a response is learned once, not once per connection. It is bounded in entries and in size,
    and learning is rationed (``learns_left``, refilled by the worker every second): a server whose
    responses never repeat (a body of changing length) stops costing a learning attempt per
    response after the first few each second.
    """

    __slots__ = ("by_length", "learns_left")

    MAX_ENTRIES = 64
    MAX_BYTES = 64 * 1024  # larger responses are not learned: their parsing is cheap next to their size
    LEARNS_PER_SECOND = 64

    def __init__(self) -> None:
        # length of the whole response -> (head up to the blank line, status, reason, whole response)
        self.by_length: dict[int, tuple[bytes, int, bytes, bytes]] = {}
        self.learns_left = self.LEARNS_PER_SECOND

    def refill(self) -> None:
        self.learns_left = self.LEARNS_PER_SECOND


class ConnectionOwner(Protocol):
    """What a connection calls back; implemented by the virtual users and by ``surge.engine.fetch``."""

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None: ...

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None: ...

    def connection_closed(self, conn: HttpConnection) -> None: ...


class PreparedRequest:
    """A Request turned into the exact bytes to send, plus what the hot path needs about it."""

    __slots__ = (
        "has_cookie_header",
        "head_end",
        "host",
        "is_head",
        "label",
        "origin",
        "path",
        "payload",
        "port",
        "request",
        "scheme",
        "sent_bytes",
        "url",
    )

    def __init__(self, request: Request, user_agent: str = "surge") -> None:
        self.request = request
        self.scheme = request.scheme
        self.host = request.host
        self.port = request.port
        self.origin = request.origin
        self.url = request.url
        self.label = request.label
        self.is_head = request.method == "HEAD"
        self.path = request.target.partition("?")[0]  # what cookie paths are matched against
        self.has_cookie_header = any(name.lower() == "cookie" for name, _ in request.headers)
        self.payload = build_request_bytes(request, user_agent)
        self.sent_bytes = len(self.payload)
        self.head_end = len(self.payload) - len(request.body) - 2  # where the blank line begins

    def with_cookie(self, value: str) -> bytes:
        """The request's bytes with a ``Cookie`` header added (a scripted user's cookie jar)."""
        payload = self.payload
        end = self.head_end
        return b"%sCookie: %s\r\n%s" % (payload[:end], value.encode("latin-1", "replace"), payload[end:])


def build_request_bytes(request: Request, user_agent: str) -> bytes:
    """Serialize the request line, headers and body; user headers override the defaults."""
    default_port = 443 if request.scheme == "https" else 80
    host = request.host if ":" not in request.host else f"[{request.host}]"
    host_header = host if request.port == default_port else f"{host}:{request.port}"
    given = {name.lower() for name, _ in request.headers}
    lines = [f"{request.method} {request.target} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {host_header}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {user_agent}")
    if "accept" not in given:
        lines.append("Accept: */*")
    lines.extend(f"{name}: {value}" for name, value in request.headers)
    needs_length = request.body or request.method in ("POST", "PUT", "PATCH")
    if needs_length and "content-length" not in given and "transfer-encoding" not in given:
        lines.append(f"Content-Length: {len(request.body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + request.body


def make_ssl_context(insecure: bool) -> ssl.SSLContext:
    """TLS context for https URLs; ``insecure`` skips certificate and host name checks."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time.

    After ``send``, the owner is called exactly once: ``response_complete`` or ``request_failed``.
    The figures of the last exchange are in the slots: ``start_ns``, ``first_byte_ns``,
    ``received`` (bytes, headers included), ``status``, ``reason``, ``keep_alive``.
    """

    __slots__ = (
        "chunk",
        "closed",
        "connect_ns",
        "first_byte_ns",
        "head_chunk",
        "headers_done",
        "in_flight",
        "is_head",
        "keep_alive",
        "known",
        "last_io_ns",
        "origin",
        "owner",
        "parser",
        "pending",
        "reason",
        "received",
        "requests_sent",
        "response_cache",
        "start_ns",
        "status",
        "transport",
    )

    def __init__(
        self,
        owner: ConnectionOwner,
        origin: tuple[str, str, int],
        response_cache: ResponseCache | None = None,
    ) -> None:
        self.owner = owner
        self.origin = origin
        self.transport: Any = None
        self.parser: Any = None
        self.chunk = b""
        self.pending = b""  # the first request, written as soon as the connection is made
        self.closed = False
        self.connect_ns = 0  # when the connection was established; 0 once a request has used it
        self.requests_sent = 0
        self.in_flight = False
        self.is_head = False
        self.start_ns = 0
        self.first_byte_ns = 0
        self.last_io_ns = 0
        self.received = 0
        self.status = 0
        self.reason = b""
        self.headers_done = False
        self.head_chunk = b""
        self.keep_alive = True
        # Responses learned for the fast path (see ``_learn``); ``known`` is the cache's dict, read
        # directly by the hot path.
        self.response_cache = response_cache if response_cache is not None else ResponseCache()
        self.known = self.response_cache.by_length

    # -- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.closed:  # abandoned while connecting
            transport.close()
            return
        self.transport = transport
        self.parser = httptools.HttpResponseParser(self)
        now_ns = self.connect_ns = perf_counter_ns()
        payload = self.pending
        if payload:
            # Sent right here rather than when create_connection's caller resumes: with thousands
            # of connections that is several loop turns (each of them long) later.
            self.pending = b""
            self.last_io_ns = now_ns
            self.in_flight = True
            self.requests_sent += 1
            transport.write(payload)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now_ns = perf_counter_ns()
        if not self.in_flight:
            # Bytes nobody asked for: the connection is out of sync, never reuse it.
            self.transport.abort()
            return
        size = len(data)
        if not self.received:
            self.first_byte_ns = now_ns
            known = self.known.get(size)
            if known is not None and (data == known[3] or data.startswith(known[0])) and not self.is_head:
                # The fast path (see ``_learn``): the same head as a response of this very length seen
                # before, so the same status, reason, keep-alive and Content-Length, and the body is
                # all here. The parser, idle between responses, is not needed. (Comparing the whole
                # response first is cheaper than ``startswith`` when nothing changed at all.)
                self.received = size
                self.status = known[1]
                self.reason = known[2]
                self.keep_alive = True
                self.in_flight = False
                self.owner.response_complete(self, now_ns)
                return
            # A response begins: forget the last one (done here rather than in ``send``, which the
            # fast path keeps short).
            self.status = 0
            self.reason = b""
            self.headers_done = False
        self.last_io_ns = now_ns
        self.received += size
        self.chunk = data
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.status <= 0:
                self._fail(type(exc).__name__, str(exc) or "malformed response", now_ns)
                return
            self.keep_alive = False  # bytes after a complete response: never reuse the connection
        if self.status > 0:
            self.in_flight = False
            if self.is_head:
                # httptools cannot tell llhttp that a HEAD response has no body; a fresh parser
                # forgets the Content-Length it would otherwise wait for.
                self.parser = httptools.HttpResponseParser(self)
            elif self.received == size and self.keep_alive and self.learns:
                self._learn(data)
            self.owner.response_complete(self, now_ns)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost does the accounting

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.in_flight:
            self.owner.connection_closed(self)
            return
        now_ns = perf_counter_ns()
        if exc is None and self.received and self.headers_done and self._body_ends_at_eof():
            # A body delimited by the end of the connection (no Content-Length, not chunked).
            self.status = self.parser.get_status_code()
            self.keep_alive = False
            self.in_flight = False
            self.owner.response_complete(self, now_ns)
        elif exc is not None:
            self._fail(*describe_error(exc), now_ns)
        elif self.received == 0:
            self._fail(NO_RESPONSE, "Remote end closed connection without response", now_ns)
        else:
            self._fail(INCOMPLETE, "Connection closed before the response was complete", now_ns)
        self.owner.connection_closed(self)

    # -- httptools callbacks (names are httptools' protocol) ---------------------------------------

    def on_message_begin(self) -> None:
        if self.status:
            # Bytes after the complete response, in the same read: nobody asked for them, so the
            # connection is out of sync. Stop parsing (``data_received`` keeps the complete
            # response and the connection is not reused).
            raise OutOfSync

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.head_chunk = self.chunk
        if self.is_head:
            parser = self.parser
            status = parser.get_status_code()
            if status >= 200:  # the response ends with its headers
                self.status = status
                self.keep_alive = parser.should_keep_alive()

    def on_message_complete(self) -> None:
        parser = self.parser
        status = parser.get_status_code()
        if status < 200:
            # A 1xx interim response: the final one follows on the same exchange.
            self.reason = b""
            self.headers_done = False
            return
        self.status = status
        self.keep_alive = parser.should_keep_alive()

    # -- used by the owner -------------------------------------------------------------------------

    def send(self, payload: bytes, start_ns: int, is_head: bool) -> None:
        """Send one request; ``start_ns`` is when the sample started (before connecting, if new).

        The hot path: the last response's status, reason and parser flags are reset when the next
        response's first bytes arrive (``data_received``), and the read timeout counts from
        ``start_ns`` until then (``check_timeout``).
        """
        self.start_ns = start_ns
        self.received = 0
        self.is_head = is_head
        self.in_flight = True
        self.requests_sent += 1
        self.transport.write(payload)

    def send_when_connected(self, payload: bytes, start_ns: int, is_head: bool) -> None:
        """Like ``send`` on a connection being made: the request goes out from ``connection_made``.

        Until then ``in_flight`` is False and ``last_io_ns`` is when connecting began (for the
        owner's connect timeout, see ``check_timeout``).
        """
        self.start_ns = start_ns
        self.last_io_ns = perf_counter_ns()
        self.received = 0
        self.is_head = is_head
        self.pending = payload

    def check_timeout(self, now_ns: int, timeout_ns: int) -> bool:
        """Fail the request in flight if nothing arrived for ``timeout_ns`` (a read timeout).

        Returns True when the connection is instead still being made ``timeout_ns`` after
        ``send_when_connected``: failing that attempt (its connect timeout) is the owner's job.
        """
        if self.in_flight:
            # Since the last byte read, or since the request went out if none came yet (``send``
            # leaves ``last_io_ns`` at an earlier exchange's last read; a new connection sets it
            # when made, after ``start_ns``).
            if now_ns - max(self.last_io_ns, self.start_ns) > timeout_ns:
                self._fail(TIMEOUT, "Read timed out", now_ns)
                self.close()
            return False
        return bool(self.pending) and now_ns - self.last_io_ns > timeout_ns

    def close(self) -> None:
        self.closed = True
        self.pending = b""
        transport = self.transport
        if transport is not None:
            self.transport = None
            transport.abort()

    # -- internals ---------------------------------------------------------------------------------

    # Whether responses may take the fast path; a connection that hands headers and body to its
    # owner (``CapturingConnection``) needs httptools' callbacks for every response.
    learns = True

    def _learn(self, data: bytes) -> None:
        """Remember a keep-alive response that llhttp just parsed whole from exactly ``data``.

        A later read of the same length that starts with the same head bytes (everything up to
        and including the blank line) is then the same response: status, reason, keep-alive and
        framing all come from those bytes, and the Content-Length checked here says the body is
        exactly the rest of the read. Reading that costs a dict lookup and a bytes comparison
        (``startswith`` when only the body changed) instead of llhttp and its Python callbacks.
        Only a plain Content-Length response whose status line is the final one (no 1xx before
        it) is learned. Headers that change (a new ``Date`` each second) make a miss, which
        parses normally and is learned again. The cache's bounds and learning ration are in
        ``ResponseCache``.
        """
        cache = self.response_cache
        if cache.learns_left <= 0 or len(data) > cache.MAX_BYTES:
            return
        cache.learns_left -= 1
        end = data.find(b"\r\n\r\n") + 4
        if end < 4 or not data.startswith(b"HTTP/1.") or data[9:12] != b"%d" % self.status:
            return
        head = data[:end]
        lower = head.lower()
        start = lower.find(b"\r\ncontent-length:") + 17
        if start < 17 or b"\r\ncontent-length:" in lower[start:] or b"\r\ntransfer-encoding:" in lower:
            return
        try:
            length = int(lower[start : lower.index(b"\r\n", start)])
        except ValueError:
            return
        if end + length != len(data):
            return
        known = cache.by_length
        if len(known) >= cache.MAX_ENTRIES and len(data) not in known:
            known.clear()
        known[len(data)] = (head, self.status, self.reason, data)

    def _body_ends_at_eof(self) -> bool:
        """Whether the response in flight is delimited by the end of the connection (rare path).

        llhttp knows but httptools does not expose it: a response that is not keep-alive and
        declares neither Content-Length nor Transfer-Encoding. Only the read that completed the
        headers is searched, so headers split over reads count as undeclared.
        """
        if self.parser.should_keep_alive():
            return False
        chunk = self.head_chunk
        end = chunk.find(b"\r\n\r\n")
        head = (chunk if end < 0 else chunk[:end]).lower()
        return b"\ncontent-length:" not in head and b"\ntransfer-encoding:" not in head

    def _fail(self, code: str, message: str, now_ns: int) -> None:
        if not self.in_flight:
            return
        self.in_flight = False
        self.keep_alive = False
        self.owner.request_failed(self, code, message, now_ns)
        self.close()


def describe_connect_error(exc: BaseException) -> tuple[str, str]:
    """(code, message) for a failed connect: the exception's class name and its text."""
    if isinstance(exc, TimeoutError):
        return TIMEOUT, "Connect timed out"
    return describe_error(exc)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(code, message) for a failure: the exception's class name and a stable text (no errno)."""
    if isinstance(exc, OSError) and exc.errno and exc.errno > 0:  # gaierror numbers are negative
        # The same text on every event loop (asyncio says "Connect call failed (...)", uvloop not).
        return type(exc).__name__, os.strerror(exc.errno)
    if isinstance(exc, OSError) and exc.strerror:
        return type(exc).__name__, exc.strerror
    return type(exc).__name__, str(exc) or type(exc).__name__
