"""HttpConnection's response handling, fed bytes directly (no sockets): framing and edge cases."""

from __future__ import annotations

import pytest

from surge.engine.client import INCOMPLETE, NO_RESPONSE, HttpConnection, PreparedRequest, build_request_bytes
from surge.plan import Request


class FakeTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def abort(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


class Owner:
    def __init__(self) -> None:
        self.completed: list[tuple[int, bytes, int, bool]] = []
        self.failed: list[tuple[str, str]] = []
        self.closed = 0

    def response_complete(self, conn: HttpConnection, now_ns: int) -> None:
        self.completed.append((conn.status, conn.reason, conn.received, conn.keep_alive))

    def request_failed(self, conn: HttpConnection, code: str, message: str, now_ns: int) -> None:
        self.failed.append((code, message))

    def connection_closed(self, conn: HttpConnection) -> None:
        self.closed += 1


def connect(is_head: bool = False) -> tuple[HttpConnection, Owner, FakeTransport]:
    owner = Owner()
    conn = HttpConnection(owner, ("http", "127.0.0.1", 80))
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 1, is_head)
    return conn, owner, transport


def feed(conn: HttpConnection, data: bytes, *, byte_by_byte: bool = False) -> None:
    if byte_by_byte:
        for i in range(len(data)):
            conn.data_received(data[i : i + 1])
    else:
        conn.data_received(data)


SIMPLE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


@pytest.mark.parametrize("byte_by_byte", [False, True])
def test_content_length_response(byte_by_byte: bool) -> None:
    conn, owner, _ = connect()
    feed(conn, SIMPLE, byte_by_byte=byte_by_byte)
    assert owner.completed == [(200, b"OK", len(SIMPLE), True)]
    assert owner.failed == []


def test_keep_alive_reuses_the_parser_for_the_next_response() -> None:
    conn, owner, transport = connect()
    parser = conn.parser
    feed(conn, SIMPLE)
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 2, False)
    feed(conn, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    assert [c[:2] for c in owner.completed] == [(200, b"OK"), (404, b"Not Found")]
    assert conn.parser is parser
    assert len(transport.written) == 2


@pytest.mark.parametrize("byte_by_byte", [False, True])
def test_chunked_with_extensions_and_trailers(byte_by_byte: bool) -> None:
    body = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b'6;quoted="a b"\r\n world\r\n'
        b"0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
    )
    conn, owner, _ = connect()
    feed(conn, body, byte_by_byte=byte_by_byte)
    assert owner.completed == [(200, b"OK", len(body), True)]


def test_chunked_response_is_not_complete_before_the_last_chunk() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    assert owner.completed == []
    feed(conn, b"0\r\n\r\n")
    assert len(owner.completed) == 1


def test_interim_1xx_responses_are_skipped() -> None:
    conn, owner, _ = connect()
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + SIMPLE
    feed(conn, data)
    assert owner.completed == [(200, b"OK", len(data), True)]


def test_interim_response_in_its_own_read_does_not_end_the_exchange() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
    assert owner.completed == []
    feed(conn, SIMPLE)
    assert owner.completed[0][:2] == (200, b"OK")


def test_head_response_has_no_body_whatever_content_length_says() -> None:
    conn, owner, _ = connect(is_head=True)
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    feed(conn, data)
    assert owner.completed == [(200, b"OK", len(data), True)]
    # The next exchange on the same connection parses cleanly.
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 2, False)
    feed(conn, SIMPLE)
    assert owner.completed[1][:2] == (200, b"OK")


def test_connection_close_header_ends_keep_alive() -> None:
    conn, owner, _ = connect()
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    feed(conn, data)
    assert owner.completed == [(200, b"OK", len(data), False)]


def test_http10_response_without_keep_alive_is_not_reused() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert owner.completed[0][3] is False


def test_body_delimited_by_end_of_connection() -> None:
    conn, owner, _ = connect()
    data = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body"
    feed(conn, data)
    assert owner.completed == []
    conn.connection_lost(None)
    assert owner.completed == [(200, b"OK", len(data), False)]


def test_connection_close_response_cut_short_is_an_error() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort")
    conn.connection_lost(None)
    assert owner.completed == []
    assert owner.failed[0][0] == INCOMPLETE


def test_keep_alive_response_cut_short_is_an_error() -> None:
    conn, owner, _ = connect()
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"
    feed(conn, data)
    conn.connection_lost(None)
    assert owner.failed == [(INCOMPLETE, "Connection closed before the response was complete")]


def test_close_before_any_byte() -> None:
    conn, owner, _ = connect()
    conn.connection_lost(None)
    assert owner.failed == [(NO_RESPONSE, "Remote end closed connection without response")]
    assert owner.closed == 1


def test_reset_is_reported_with_the_exception_name() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    conn.connection_lost(ConnectionResetError(104, "Connection reset by peer"))
    assert owner.failed == [("ConnectionResetError", "Connection reset by peer")]


@pytest.mark.parametrize(
    "garbage",
    [b"SPAM AND EGGS\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"],
)
def test_malformed_responses_fail_with_the_parser_error(garbage: bytes) -> None:
    conn, owner, transport = connect()
    feed(conn, garbage)
    assert owner.completed == []
    assert len(owner.failed) == 1
    assert owner.failed[0][0].startswith("HttpParser")
    assert transport.closed


def test_bytes_nobody_asked_for_close_the_connection() -> None:
    conn, owner, transport = connect()
    feed(conn, SIMPLE)
    feed(conn, SIMPLE)  # no request in flight
    assert transport.closed
    assert len(owner.completed) == 1


def test_read_timeout_fails_the_request_and_closes() -> None:
    conn, owner, transport = connect()
    conn.check_timeout(now_ns=1 + 5, timeout_ns=10)
    assert owner.failed == []
    conn.check_timeout(now_ns=1 + 11, timeout_ns=10)
    assert owner.failed == [("TimeoutError", "Read timed out")]
    assert transport.closed


def test_request_bytes() -> None:
    request = Request(
        "http://127.0.0.1:8080/p?q=1", method="POST", headers=(("X-Token", "t"),), body=b'{"a":1}'
    )
    assert build_request_bytes(request, "surge") == (
        b"POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: surge\r\nAccept: */*\r\n"
        b'X-Token: t\r\nContent-Length: 7\r\n\r\n{"a":1}'
    )
    # User headers replace the defaults; the default port is left out of Host.
    prepared = PreparedRequest(Request("http://example.test/", headers=(("Host", "h"), ("Accept", "x/y"))))
    assert prepared.payload == b"GET / HTTP/1.1\r\nUser-Agent: surge\r\nHost: h\r\nAccept: x/y\r\n\r\n"
    assert prepared.sent_bytes == len(prepared.payload)
