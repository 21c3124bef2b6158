"""What a scripted user's request returns: the ``Response``, and the connection that captures it.

Unlike the plain hot path's ``HttpConnection``, a ``CapturingConnection`` keeps each response's
headers and body for extraction and checks; ``Response`` decodes the headers and parses JSON
only when asked.
"""

from __future__ import annotations

import json as jsonlib
import zlib
from time import perf_counter_ns
from typing import Any

from surge.engine.client import HttpConnection, ResponseCache


class CapturingConnection(HttpConnection):
    """An HttpConnection that keeps each response's head (status line and headers) and body.

    The head is kept as the bytes received, not header by header through httptools' callbacks:
    a ``Response`` reads its headers only when asked (most responses never are).
    """

    __slots__ = ("body_parts", "head_parts")

    def __init__(
        self, owner: Any, origin: tuple[str, str, int], response_cache: ResponseCache | None = None
    ) -> None:
        super().__init__(owner, origin, response_cache)
        self.head_parts: list[bytes] = []
        self.body_parts: list[bytes] = []

    def send(self, payload: bytes, start_ns: int, is_head: bool) -> None:
        self.head_parts = []
        self.body_parts = []
        super().send(payload, start_ns, is_head)

    def data_received(self, data: bytes) -> None:
        if not self.received and self.in_flight and not self.is_head:
            known = self.known.get(len(data))
            if known is not None and (data == known[3] or data.startswith(known[0])):
                # The hot path's fast path (``HttpConnection._learn``), keeping head and body:
                # the same head as a response of this very length, so the body is the rest.
                now_ns = perf_counter_ns()
                head = known[0]
                self.first_byte_ns = now_ns
                self.received = len(data)
                self.status = known[1]
                self.reason = known[2]
                self.keep_alive = True
                self.in_flight = False
                self.head_parts = [head]
                self.body_parts = [data[len(head) :]]
                self.owner.response_complete(self, now_ns)
                return
        if not self.received or not self.headers_done:
            self.head_parts.append(data)  # the reads up to the end of the head
        HttpConnection.data_received(self, data)

    def on_body(self, body: bytes) -> None:
        self.body_parts.append(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.status == 0:  # a 1xx interim response: the final one follows
            self.body_parts = []

    @property
    def head(self) -> bytes:
        """The final response's status line and headers (1xx interim responses skipped)."""
        data = self.head_parts[0] if len(self.head_parts) == 1 else b"".join(self.head_parts)
        start = 0
        while True:
            end = data.find(b"\r\n\r\n", start)
            if end < 0:
                return data[start:]
            if data[start + 9 : start + 10] != b"1":  # "HTTP/1.1 1xx": an interim response's head
                return data[start:end]
            start = end + 4


class Response:
    """What a request returned. ``status`` is 0 and ``error`` set when no HTTP response came."""

    __slots__ = (
        "_body",
        "_decoded",
        "_failure",
        "_head",
        "_headers",
        "_json",
        "_raw_headers",
        "elapsed_ms",
        "error",
        "reason",
        "received",
        "status",
        "status_accepted",
        "url",
    )

    def __init__(
        self,
        url: str,
        status: int,
        reason: str,
        headers: dict[str, str] | bytes,
        body: bytes,
        elapsed_ms: int,
        error: str | None,
    ) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        # Decoded on first use: most responses are never asked for their headers. ``headers`` is a
        # dict, or the response's head as received (status line and header lines).
        self._headers: dict[str, str] | None = headers if isinstance(headers, dict) else None
        self._head = headers if isinstance(headers, bytes) else b""
        self._raw_headers: list[tuple[bytes, bytes]] | None = None if self._head else []
        self._body = body
        self._decoded = False
        self.elapsed_ms = elapsed_ms
        self.error = error
        self.received = len(body)  # bytes on the wire, headers included, once the session knows them
        self._failure: str | None = None
        self._json: Any = None
        # Set by a status check that expects this status (say 404): the status alone no longer fails it.
        self.status_accepted = False

    @property
    def body(self) -> bytes:
        """The body, decompressed when the server sent it gzip- or deflate-encoded (as HttpClient does)."""
        if not self._decoded:
            self._decoded = True
            if b"content-encoding:" in self._head.lower():
                for name, value in self.raw_headers:
                    if name.lower() == b"content-encoding":
                        self._body = _decompress(self._body, value.strip().lower())
        return self._body

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as received (names as sent by the server); empty for a failure."""
        raw = self._raw_headers
        if raw is None:
            raw = self._raw_headers = []
            for line in self._head.split(b"\r\n")[1:]:
                name, sep, value = line.partition(b":")
                if sep:
                    raw.append((name.strip(), value.strip()))
        return raw

    def may_set_cookies(self) -> bool:
        """False when no ``Set-Cookie`` header came (a quick look at the head as received)."""
        head = self._head
        return b"ookie:" in head or b"OOKIE:" in head

    @property
    def headers(self) -> dict[str, str]:
        """Response headers; names lower-cased, repeated headers joined with ", "."""
        headers = self._headers
        if headers is None:
            headers = {}
            for raw_name, raw_value in self.raw_headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self._headers = headers
        return headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError if it is not JSON."""
        if self._json is None:
            self._json = jsonlib.loads(self.body)
        return self._json

    @property
    def failure_message(self) -> str | None:
        return self._failure

    def fail(self, message: str) -> None:
        """Mark this response's sample failed (the first message is kept, as JMeter's first assertion)."""
        if self._failure is None:
            self._failure = message


def _decompress(body: bytes, encoding: bytes) -> bytes:
    """A gzip or deflate body as the server meant it; other encodings (br) stay as received."""
    try:
        if encoding in (b"gzip", b"x-gzip"):
            return zlib.decompress(body, 47)  # gzip or zlib header
        if encoding == b"deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -15)  # raw deflate, as some servers send
    except zlib.error:
        return body
    return body
