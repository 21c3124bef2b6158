"""A worker (in this process, on its own event loop) against the local server: rows and totals."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.messages import Tick, WorkerMessage, WorkerResult
from surge.engine.schedule import assign_users
from surge.engine.worker import WorkerSpec
from surge.engine.worker_process import run_worker_in_loop
from surge.plan import ClientOptions, LoadModel, Plan, Request, ThinkTime, UserGroup
from surge.results.columns import DEFAULT_COLUMNS


def run(
    tmp_path: Path,
    urls: list[str],
    load: LoadModel,
    client: ClientOptions | None = None,
) -> tuple[WorkerResult, list[dict[str, str]], list[WorkerMessage]]:
    plan = Plan(
        groups=(UserGroup(requests=tuple(Request(u) for u in urls), load=load),),
        client=client or ClientOptions(timeout_s=2.0),
        graceful_stop_s=1.0,
    )
    part = tmp_path / "r.jtl.part1"
    spec = WorkerSpec(plan, 0, 1, tuple(assign_users(plan, 1)[0]), part)
    messages: list[WorkerMessage] = []
    result = run_worker_in_loop(spec, time.time_ns(), messages.append)
    with open(part, newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == DEFAULT_COLUMNS
        rows = list(reader)
    return result, rows, messages


def test_iterations_cycle_urls_in_order(tmp_path: Path, server: LocalHttpServer) -> None:
    urls = [f"{server.base_url}/fast", f"{server.base_url}/bytes/10", f"{server.base_url}/status/404"]
    connections_before = server.connections
    result, rows, _ = run(tmp_path, urls, LoadModel(users=3, iterations=4))
    assert len(rows) == 3 * 4 * 3 == result.rows_written
    for user in (1, 2, 3):
        labels = [r["label"] for r in rows if r["threadName"] == f"surge 1-{user}"]
        assert labels == ["GET /fast", "GET /bytes/10", "GET /status/404"] * 4
    # Keep-alive: one connection per user.
    assert server.connections - connections_before == 3
    by_label = {t.label: t for t in result.label_totals}
    assert by_label["GET /status/404"].errors == 12
    assert by_label["GET /fast"].errors == 0
    not_found = [r for r in rows if r["label"] == "GET /status/404"]
    assert {(r["responseCode"], r["responseMessage"], r["success"]) for r in not_found} == {
        ("404", "Not Found", "false")
    }
    fast = [r for r in rows if r["label"] == "GET /fast"]
    assert {r["bytes"] for r in fast} == {str(len(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))}
    assert all(r["dataType"] == "text" and r["URL"] == f"{server.base_url}/fast" for r in fast)
    assert all(int(r["sentBytes"]) > 0 for r in rows)
    # Connect time only on each user's first request (a new connection).
    assert sum(1 for r in rows if r["Connect"] != "0") <= 3
    for r in rows:
        assert int(r["elapsed"]) >= int(r["Latency"]) >= int(r["Connect"]) >= 0
        assert r["grpThreads"] == r["allThreads"]
        assert 1 <= int(r["allThreads"]) <= 3


def test_latency_is_the_first_byte_and_elapsed_the_last(tmp_path: Path, server: LocalHttpServer) -> None:
    # The head and half the body come at once, the rest 300 ms later; then fast whole responses.
    urls = [f"{server.base_url}/trickle?ms=300", f"{server.base_url}/fast"]
    _, rows, _ = run(tmp_path, urls, LoadModel(users=1, iterations=3))
    assert [r["label"] for r in rows] == ["GET /trickle", "GET /fast"] * 3
    for row in rows:
        assert row["responseCode"] == "200" and row["success"] == "true"
        if row["label"] == "GET /trickle":
            assert int(row["elapsed"]) >= 300 > 150 > int(row["Latency"])
            assert int(row["bytes"]) == len(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") + 10
        else:
            assert int(row["elapsed"]) < 150 and int(row["Latency"]) <= int(row["elapsed"])
    now_ms = time.time_ns() // 1_000_000
    assert all(now_ms - 10_000 < int(r["timeStamp"]) <= now_ms for r in rows)


def test_ok_status_makes_404_a_success(tmp_path: Path, server: LocalHttpServer) -> None:
    client = ClientOptions(timeout_s=2.0, ok_statuses=frozenset({200, 404}))
    result, rows, _ = run(
        tmp_path, [f"{server.base_url}/status/404"], LoadModel(users=1, iterations=2), client
    )
    assert [r["success"] for r in rows] == ["true", "true"]
    assert result.label_totals[0].errors == 0


def test_failures_become_rows_with_jmeter_style_codes(tmp_path: Path, server: LocalHttpServer) -> None:
    urls = [f"{server.base_url}/never", f"{server.base_url}/reset", f"{server.base_url}/fast"]
    client = ClientOptions(timeout_s=0.3)
    result, rows, _ = run(tmp_path, urls, LoadModel(users=1, iterations=1), client)
    assert [r["label"] for r in rows] == ["GET /never", "GET /reset", "GET /fast"]
    never, reset, fast = rows
    assert never["responseCode"] == "Non HTTP response code: TimeoutError"
    assert never["responseMessage"] == "Non HTTP response message: Read timed out"
    assert never["success"] == "false" and never["dataType"] == ""
    assert int(never["elapsed"]) >= 300
    assert reset["responseCode"] == "Non HTTP response code: ConnectionResetError"
    assert int(reset["bytes"]) > 100  # what arrived before the reset is counted
    assert fast["success"] == "true"
    assert sum(t.errors for t in result.label_totals) == 2
    kinds = dict(kind for t in result.label_totals for kind in t.error_kinds)
    assert kinds == {
        "Non HTTP response code: TimeoutError (Read timed out)": 1,
        "Non HTTP response code: ConnectionResetError (Connection reset by peer)": 1,
    }


def test_connection_close_reconnects_for_each_request(tmp_path: Path, server: LocalHttpServer) -> None:
    before = server.connections
    _, rows, _ = run(tmp_path, [f"{server.base_url}/close"], LoadModel(users=1, iterations=3))
    assert [r["success"] for r in rows] == ["true"] * 3
    assert server.connections - before == 3


def test_duration_with_think_time_and_ramp_up(tmp_path: Path, server: LocalHttpServer) -> None:
    load = LoadModel(users=4, ramp_up_s=0.4, duration_s=1.0, think_time=ThinkTime(0.1, 0.1))
    result, rows, messages = run(tmp_path, [f"{server.base_url}/fast"], load)
    # About 1 s / 0.1 s per user; bounded both ways without asserting on speed.
    per_user = {n: sum(1 for r in rows if r["threadName"] == f"surge 1-{n}") for n in (1, 2, 3, 4)}
    assert all(1 <= count <= 11 for count in per_user.values())
    assert per_user[1] >= per_user[4]  # user 4 started 0.3 s later
    starts = sorted(int(r["timeStamp"]) for r in rows)
    assert starts[-1] - starts[0] < 1500
    # Users start 0.1 s apart (ramp-up 0.4 s / 4 users), all four are active at some point.
    first_start = {
        n: min(int(r["timeStamp"]) for r in rows if r["threadName"] == f"surge 1-{n}") for n in (1, 4)
    }
    assert first_start[4] - first_start[1] >= 200
    assert max(int(r["allThreads"]) for r in rows) == 4
    ticks = [m for m in messages if isinstance(m, Tick)]
    assert ticks and sum(m.samples for m in ticks) == len(rows)
    assert not result.interrupted


def test_refused_connections_are_failed_samples(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/x"
        _, rows, _ = run(tmp_path, [url], LoadModel(users=2, iterations=2))
    assert len(rows) == 4
    assert {r["responseCode"] for r in rows} == {"Non HTTP response code: ConnectionRefusedError"}
    assert {r["responseMessage"] for r in rows} == {"Non HTTP response message: Connection refused"}
    assert {r["bytes"] for r in rows} == {"0"} and {r["sentBytes"] for r in rows} == {"0"}


def test_https_keep_alive_with_insecure(tmp_path: Path, tls_server: LocalHttpServer) -> None:
    client = ClientOptions(timeout_s=2.0, insecure=True)
    before = tls_server.connections
    _, rows, _ = run(tmp_path, [f"{tls_server.base_url}/fast"], LoadModel(users=2, iterations=3), client)
    assert [r["success"] for r in rows] == ["true"] * 6
    assert tls_server.connections - before == 2
    assert sum(1 for r in rows if r["Connect"] != "0") <= 2


def test_journey_across_two_origins_reconnects_per_origin(tmp_path: Path, server: LocalHttpServer) -> None:
    with LocalHttpServer() as other:
        before = (server.connections, other.connections)
        urls = [f"{server.base_url}/fast", f"{other.base_url}/bytes/3"]
        _, rows, _ = run(tmp_path, urls, LoadModel(users=1, iterations=2))
        assert [(r["label"], r["success"]) for r in rows] == [
            ("GET /fast", "true"),
            ("GET /bytes/3", "true"),
        ] * 2
        assert [r["URL"] for r in rows] == urls * 2
        # One connection per origin switch: 2 to each server.
        assert (server.connections - before[0], other.connections - before[1]) == (2, 2)


def test_connect_timeout_is_a_failed_sample(tmp_path: Path) -> None:
    import socket

    # A listener that never accepts, its accept queue already full: the kernel drops further SYNs,
    # so the user's connect hangs until the worker's sweep gives up on it.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
        time.sleep(0.05)
        try:
            url = f"http://127.0.0.1:{address[1]}/x"
            _, rows, _ = run(tmp_path, [url], LoadModel(users=1, iterations=1), ClientOptions(timeout_s=0.3))
        finally:
            for filler in fillers:
                filler.close()
    assert len(rows) == 1
    row = rows[0]
    assert row["responseCode"] == "Non HTTP response code: TimeoutError"
    assert row["responseMessage"] == "Non HTTP response message: Connect timed out"
    assert row["success"] == "false" and row["bytes"] == "0" and row["sentBytes"] == "0"
    assert int(row["elapsed"]) >= 300 and int(row["Connect"]) >= 300
