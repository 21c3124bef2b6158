"""The HTTP client (``fetch``) against a real local server: framing, failures and timings."""

from __future__ import annotations

import asyncio
import socket

from servers.http_server import LocalHttpServer
from surge.engine.fetch import FetchResult, fetch
from surge.plan import Request


def get(url: str, method: str = "GET", timeout_s: float = 5.0) -> FetchResult:
    return asyncio.run(fetch(Request(url, method=method), timeout_s=timeout_s))


def test_fast_response_and_timings(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/fast")
    assert r.error is None
    assert (r.status, r.reason, r.keep_alive) == (200, "OK", True)
    assert r.received_bytes == len(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert 0 < r.connect_ns <= r.latency_ns <= r.elapsed_ns


def test_slow_response_latency_covers_the_wait(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/slow?ms=150")
    assert r.status == 200
    assert r.latency_ns >= 150_000_000


def test_status_and_custom_reason(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/status/503")
    assert (r.status, r.reason) == (503, "Service Unavailable")
    r = get(f"{server.base_url}/status/299?reason=Odd,%20but%20fine")
    assert (r.status, r.reason) == (299, "Odd, but fine")


def test_large_body_counts_all_bytes(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/bytes/1000000")
    assert r.status == 200
    assert r.received_bytes > 1_000_000


def test_chunked_with_extensions_and_trailer(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/chunked?n=5")
    assert (r.status, r.error) == (200, None)


def test_head_gets_no_body(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/bytes/5000", method="HEAD")
    assert (r.status, r.error) == (200, None)
    assert r.received_bytes < 100


def test_connection_close_and_read_to_eof(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/close")
    assert (r.status, r.keep_alive, r.error) == (200, False, None)
    r = get(f"{server.base_url}/eof")
    assert (r.status, r.keep_alive, r.error) == (200, False, None)


def test_100_continue_is_skipped(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/continue")
    assert (r.status, r.reason, r.error) == (200, "OK", None)


def test_reset_mid_body(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/reset")
    assert r.error is not None
    assert r.error[0] == "ConnectionResetError"


def test_truncated_body(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/truncate")
    assert r.error is not None
    assert r.error[0] == "IncompleteRead"


def test_never_respond_times_out(server: LocalHttpServer) -> None:
    r = get(f"{server.base_url}/never", timeout_s=0.3)
    assert r.error == ("TimeoutError", "Read timed out")
    assert r.elapsed_ns >= 300_000_000


def test_dropped_and_garbage(server: LocalHttpServer) -> None:
    assert get(f"{server.base_url}/drop").error == (
        "RemoteDisconnected",
        "Remote end closed connection without response",
    )
    garbage = get(f"{server.base_url}/garbage").error
    assert garbage is not None and garbage[0].startswith("HttpParser")


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: refused
        r = get(f"http://127.0.0.1:{port}/")
    assert r.error is not None
    assert r.error[0] == "ConnectionRefusedError"
    assert r.error[1] == "Connection refused"


def test_tls_with_insecure_skips_verification(tls_server: LocalHttpServer) -> None:
    from surge.engine.client import make_ssl_context

    r = asyncio.run(
        fetch(
            Request(f"{tls_server.base_url}/fast"), timeout_s=5, ssl_context=make_ssl_context(insecure=True)
        )
    )
    assert (r.status, r.error) == (200, None)
    assert r.connect_ns > 0


def test_tls_self_signed_fails_verification(tls_server: LocalHttpServer) -> None:
    r = get(f"{tls_server.base_url}/fast")
    assert r.error is not None
    assert r.error[0] == "SSLCertVerificationError"
