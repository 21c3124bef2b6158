"""The connection's fast path: a response whose head and length it has seen whole before skips llhttp.

Each test checks the figures the owner gets against what the bytes say, and whether the parser
was used, by swapping in a parser that fails the test when fed.
"""

from __future__ import annotations

from typing import Any

from surge.engine.client import HttpConnection, ResponseCache
from surge.engine.response import CapturingConnection
from unit.engine.test_response_parser import FakeTransport, Owner, connect, feed


class ForbiddenParser:
    """Stands in for httptools' parser where the fast path must not need it."""

    def feed_data(self, data: bytes) -> None:
        raise AssertionError(f"the parser was fed {data[:40]!r}")


def head(status: str = "200 OK", date: str = "Thu, 26 Nov 2026 16:16:54 GMT", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nDate: {date}\r\nContent-Length: 5\r\n{extra}\r\n".encode()


OK = head() + b"hello"


def exchange(conn: HttpConnection, data: bytes) -> None:
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 1, False)
    feed(conn, data)


def without_parser(conn: HttpConnection) -> Any:
    real = conn.parser
    conn.parser = ForbiddenParser()
    return real


def test_a_repeated_response_skips_the_parser_with_the_same_figures() -> None:
    conn, owner, transport = connect()
    feed(conn, OK)
    without_parser(conn)
    exchange(conn, OK)
    exchange(conn, OK)
    assert owner.completed == [(200, b"OK", len(OK), True)] * 3
    assert owner.failed == []
    assert len(transport.written) == 3


def test_another_body_of_the_same_length_after_the_same_head_skips_the_parser() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    without_parser(conn)
    exchange(conn, head() + b"world")
    assert owner.completed == [(200, b"OK", len(OK), True)] * 2


def test_a_changed_header_of_the_same_length_is_parsed_again() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    later = head(date="Thu, 26 Nov 2026 16:16:55 GMT") + b"hello"
    assert len(later) == len(OK)
    exchange(conn, later)
    exchange(conn, later)  # learned again: the parser is not needed for the next one
    without_parser(conn)
    exchange(conn, later)
    assert owner.completed == [(200, b"OK", len(OK), True)] * 4


def test_another_status_of_the_same_length_is_reported() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    error = head(status="500 No") + b"hello"
    assert len(error) == len(OK)
    exchange(conn, error)
    assert [c[:2] for c in owner.completed] == [(200, b"OK"), (500, b"No")]


def test_the_same_head_with_a_longer_read_goes_to_the_parser() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    exchange(conn, head() + b"hello")
    longer = head().replace(b"Length: 5", b"Length: 7") + b"hello!!"
    exchange(conn, longer)
    assert owner.completed == [(200, b"OK", len(OK), True)] * 2 + [(200, b"OK", len(longer), True)]


def test_bytes_after_a_complete_response_keep_it_and_end_the_connection() -> None:
    for junk in (
        b"HTTP/1.1 200 OK\r\n",
        b"garbage",
        b"H",
        b"HTTP/1.1 2",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",  # a whole second response
        b"HTTP/1.1 100 Continue\r\n\r\n",
    ):
        conn, owner, _ = connect()
        feed(conn, OK)
        # A known head, but more bytes than Content-Length: not the fast path; the parser reads
        # the extra bytes, and the connection must not be reused.
        exchange(conn, OK + junk)
        assert owner.completed == [(200, b"OK", len(OK), True), (200, b"OK", len(OK) + len(junk), False)]
        assert owner.failed == []


def test_a_response_followed_by_bytes_is_not_learned() -> None:
    conn, owner, _ = connect()
    feed(conn, b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nHTTP/")
    assert owner.completed == [(304, b"Not Modified", 53, False)]
    assert conn.known == {}


def test_a_response_split_over_reads_is_not_learned() -> None:
    conn, owner, _ = connect()
    feed(conn, OK[:10])
    feed(conn, OK[10:])
    assert conn.known == {}
    exchange(conn, OK)
    assert owner.completed == [(200, b"OK", len(OK), True)] * 2
    assert len(conn.known) == 1


def test_responses_that_are_not_plain_content_length_are_never_learned() -> None:
    for response in (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\n" + OK,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    ):
        conn, owner, _ = connect()
        feed(conn, response)
        assert conn.known == {}, response
        assert len(owner.completed) + len(owner.failed) == 1, response


def test_an_interim_response_before_a_known_one_is_still_skipped() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    exchange(conn, b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    assert owner.completed == [(200, b"OK", len(OK), True), (200, b"OK", 25 + len(OK), True)]


def test_head_requests_use_the_parser() -> None:
    conn, owner, _ = connect(is_head=True)
    feed(conn, head())
    assert conn.known == {}
    assert owner.completed == [(200, b"OK", len(head()), True)]


def test_the_parser_still_works_after_fast_responses() -> None:
    conn, owner, _ = connect()
    feed(conn, OK)
    exchange(conn, OK)
    chunked = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    exchange(conn, chunked)
    assert [c[:3] for c in owner.completed] == [(200, b"OK", len(OK))] * 2 + [(201, b"Created", len(chunked))]


def test_a_capturing_connection_keeps_head_and_body_of_learned_responses_too() -> None:
    owner = Owner()
    conn = CapturingConnection(owner, ("http", "127.0.0.1", 80))
    conn.connection_made(FakeTransport())  # type: ignore[arg-type]
    for _ in range(3):
        conn.send(b"GET / HTTP/1.1\r\n\r\n", 1, False)
        feed(conn, OK)
        assert conn.body_parts == [b"hello"]
        assert b"\r\nContent-Length: 5" in conn.head and not conn.head.endswith(b"\r\n")
    assert len(conn.known) == 1  # learned from the first: the next two took the fast path
    assert len(owner.completed) == 3


def test_a_capturing_connection_keeps_the_final_head_after_an_interim_one() -> None:
    conn = CapturingConnection(Owner(), ("http", "127.0.0.1", 80))
    conn.connection_made(FakeTransport())  # type: ignore[arg-type]
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 1, False)
    feed(conn, b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    assert conn.head.startswith(b"HTTP/1.1 200") and conn.body_parts == [b"hello"]


def test_connections_sharing_a_cache_learn_a_response_once() -> None:
    cache = ResponseCache()
    first, first_owner, _ = connect()
    first.response_cache = cache
    first.known = cache.by_length
    feed(first, OK)
    other = HttpConnection(Owner(), ("http", "127.0.0.1", 80), cache)
    other.connection_made(FakeTransport())  # type: ignore[arg-type]
    without_parser(other)
    exchange(other, OK)
    assert first_owner.completed == [(200, b"OK", len(OK), True)]
    assert other.owner.completed == [(200, b"OK", len(OK), True)]  # type: ignore[attr-defined]
    assert cache.learns_left == ResponseCache.LEARNS_PER_SECOND - 1


def test_learning_is_rationed_until_the_refill() -> None:
    conn, owner, _ = connect()
    conn.response_cache.learns_left = 2
    # Two responses that cannot be learned use up the ration...
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    feed(conn, chunked)
    exchange(conn, chunked)
    # ... so a learnable one is not learned, until the worker's next second refills it.
    exchange(conn, OK)
    assert conn.known == {}
    conn.response_cache.refill()
    exchange(conn, OK)
    assert list(conn.known) == [len(OK)]
    assert len(owner.completed) == 4


def test_large_responses_are_not_learned() -> None:
    conn, owner, _ = connect()
    body = b"x" * ResponseCache.MAX_BYTES
    big = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    feed(conn, big)
    assert conn.known == {}
    assert owner.completed == [(200, b"OK", len(big), True)]


def test_the_cache_is_bounded_in_entries() -> None:
    conn, owner, _ = connect()
    for n in range(ResponseCache.MAX_ENTRIES + 1):
        body = b"y" * (n + 1)
        exchange(conn, f"HTTP/1.1 200 OK\r\nContent-Length: {n + 1}\r\n\r\n".encode() + body)
    assert 1 <= len(conn.known) <= ResponseCache.MAX_ENTRIES
    assert len(owner.completed) == ResponseCache.MAX_ENTRIES + 1
