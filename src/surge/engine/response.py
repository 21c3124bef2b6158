"""What a scripted user's request returns: the ``Response``, and the connection that captures it.

Unlike the plain hot path's ``HttpConnection``, a ``CapturingConnection`` keeps each response's
headers and body for extraction and checks; ``Response`` decodes the headers and parses JSON
only when asked.
"""

from __future__ import annotations

import json as jsonlib
import zlib
from typing import Any

from surge.engine.client import HttpConnection


class CapturingConnection(HttpConnection):
    """An HttpConnection that keeps the response's headers and body (httptools calls these)."""

    __slots__ = ("body_parts", "header_list")

    learns = False  # every response's headers and body are needed

    def __init__(self, owner: Any, origin: tuple[str, str, int]) -> None:
        super().__init__(owner, origin)
        self.header_list: list[tuple[bytes, bytes]] = []
        self.body_parts: list[bytes] = []

    def send(self, payload: bytes, start_ns: int, is_head: bool) -> None:
        self.header_list = []
        self.body_parts = []
        super().send(payload, start_ns, is_head)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_list.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body_parts.append(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.status == 0:  # a 1xx interim response: the final one follows
            self.header_list = []
            self.body_parts = []


class Response:
    """What a request returned. ``status`` is 0 and ``error`` set when no HTTP response came."""

    __slots__ = (
        "_body",
        "_decoded",
        "_failure",
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
        headers: dict[str, str] | list[tuple[bytes, bytes]],
        body: bytes,
        elapsed_ms: int,
        error: str | None,
    ) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        # Decoded on first use: most responses are never asked for their headers.
        self._headers: dict[str, str] | None = headers if isinstance(headers, dict) else None
        self._raw_headers = headers if isinstance(headers, list) else []
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
            for name, value in self._raw_headers:
                if len(name) == 16 and name.lower() == b"content-encoding":
                    self._body = _decompress(self._body, value.strip().lower())
        return self._body

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as received (names as sent by the server); empty for a failure."""
        return self._raw_headers

    @property
    def headers(self) -> dict[str, str]:
        """Response headers; names lower-cased, repeated headers joined with ", "."""
        headers = self._headers
        if headers is None:
            headers = {}
            for raw_name, raw_value in self._raw_headers:
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
