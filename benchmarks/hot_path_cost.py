"""Python work per request of surge's closed-model hot path, against a bare loop, without sockets.

The socket benchmarks (engine_vs_peers) are the real measure, but on a shared VM their figures move
by 10-20 % from run to run, more than most engine changes. This script measures the part an engine
change touches, the Python code that handles one response and sends the next request, in a way
that does not move: it feeds a canned nginx response straight to a connection's ``data_received``
(stub transport: the write costs nothing) and counts the CPU instructions executed per request
with valgrind's callgrind (``--tool time`` measures ns per request instead, min of many rounds).

Two generators, same canned response, same stub transport:

- surge: a real ``Worker``'s ``VirtualUser`` on an ``HttpConnection`` (fast path, JTL row, stats,
  next request), as in ``surge run URL``;
- bare: the issue's reference loop, one protocol that parses with httptools, formats a JTL-like
  row with an f-string and writes the request again.

Per request = (cost of 3n requests - cost of n requests) / 2n, which cancels start-up (imports).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 16:16:54 GMT\r\n"
    b"Content-Type: text/html\r\nContent-Length: 100\r\nLast-Modified: Thu, 26 Nov 2026 16:15:11 GMT\r\n"
    b'Connection: keep-alive\r\nETag: "6b085b0f-64"\r\nAccept-Ranges: bytes\r\n\r\n' + b"x" * 100
)
URL = "http://127.0.0.1:9/index.html"
GENERATORS = ("surge", "bare")


class StubTransport:
    """Takes writes and drops them: the request bytes never leave the process."""

    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


Feeder = tuple[Callable[[], None], Callable[[], None], Callable[[], None]]


def surge_feeder(workdir: Path) -> Feeder:
    """(feed one response, drop buffered rows, close) for a surge user in a fresh worker."""
    from time import perf_counter_ns

    from surge.engine.client import HttpConnection
    from surge.engine.schedule import assign_users
    from surge.engine.user import VirtualUser
    from surge.engine.worker import Worker, WorkerSpec
    from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # the Worker takes the current loop
    plan = Plan(
        groups=(UserGroup(requests=(Request(URL),), load=LoadModel(users=1, duration_s=3600)),),
        client=ClientOptions(timeout_s=2.0),
    )
    spec = WorkerSpec(plan, 0, 1, tuple(assign_users(plan, 1)[0]), workdir / "hot.jtl.part1")
    worker = Worker(spec, lambda message: None)
    worker._build_users(perf_counter_ns())
    asyncio.set_event_loop(None)
    user = worker.users[0]
    assert isinstance(user, VirtualUser)
    conn = HttpConnection(user, user.step.origin)
    conn.connection_made(StubTransport())  # type: ignore[arg-type]
    user.conn = conn
    conn.send(user.step.payload, perf_counter_ns(), False)
    rows = worker.writer.rows
    elapsed = user.step.stats.elapsed_us

    def drop() -> None:
        rows.clear()
        elapsed.clear()

    def close() -> None:
        worker.writer.close()
        loop.close()

    data_received = conn.data_received
    return (lambda: data_received(RESPONSE)), drop, close


def bare_feeder() -> Feeder:
    """(feed one response, drop buffered rows, close) for the bare reference loop."""
    import httptools

    request = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: surge\r\nAccept: */*\r\n\r\n"
    rows: list[str] = []

    class Bare:
        def __init__(self) -> None:
            self.transport = StubTransport()
            self.parser = httptools.HttpResponseParser(self)
            self.complete = False
            self.count = 0

        def on_message_complete(self) -> None:
            self.complete = True

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)
            if not self.complete:
                return
            self.complete = False
            self.count += 1
            rows.append(
                f"{self.count},{len(data)},GET /index.html,200,OK,surge 1-1,text,true,,{len(data)},79,1,1,"
                f"{URL},1,0,0\n"
            )
            self.transport.write(request)

    bare = Bare()
    data_received = bare.data_received
    return (lambda: data_received(RESPONSE)), rows.clear, lambda: None


def run_child(generator: str, requests: int, rounds: int) -> None:
    """Feed ``requests`` responses ``rounds`` times; print the best ns per request."""
    with tempfile.TemporaryDirectory(prefix="surge-hot-") as tmp:
        feed, drop, close = surge_feeder(Path(tmp)) if generator == "surge" else bare_feeder()
        best_ns = float("inf")
        for _ in range(rounds):
            started = time.perf_counter_ns()
            for i in range(requests):
                feed()
                if not i & 1023:
                    drop()
            best_ns = min(best_ns, (time.perf_counter_ns() - started) / requests)
        close()
        print(f"ns_per_request {best_ns:.1f}")


def child_command(generator: str, requests: int, rounds: int) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", generator, str(requests), str(rounds)]


def callgrind_instructions(command: Sequence[str]) -> int:
    """Instructions executed by ``command`` (callgrind's ``Collected`` total)."""
    python = os.path.realpath(command[0])  # a pyenv shim is a shell script: valgrind needs the binary
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, *command[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind failed: {proc.stderr.strip()[-500:]}")
    return int(found.group(1))


def instructions_per_request(generator: str, requests: int) -> float:
    small = callgrind_instructions(child_command(generator, requests, 1))
    large = callgrind_instructions(child_command(generator, 3 * requests, 1))
    return (large - small) / (2 * requests)


def ns_per_request(generator: str, requests: int, rounds: int) -> float:
    proc = subprocess.run(
        child_command(generator, requests, rounds), capture_output=True, text=True, check=True
    )
    return float(proc.stdout.split()[-1])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hot_path_cost",
        description="Python work per request of surge's hot path vs a bare httptools loop (no sockets).",
    )
    parser.add_argument(
        "--tool",
        choices=("callgrind", "time"),
        default="callgrind" if shutil.which("valgrind") else "time",
        help="callgrind: instructions per request (exact, needs valgrind; default when installed); "
        "time: ns per request, best of --rounds",
    )
    parser.add_argument("--requests", type=int, default=20_000, help="responses per measured run")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds per generator (--tool time)")
    parser.add_argument(
        "--child", nargs=3, metavar=("GENERATOR", "REQUESTS", "ROUNDS"), help=argparse.SUPPRESS
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child:
        generator, requests, rounds = args.child
        if generator not in GENERATORS:
            raise SystemExit(f"unknown generator {generator!r}")
        run_child(generator, int(requests), int(rounds))
        return 0
    unit = "instructions" if args.tool == "callgrind" else "ns"
    print(f"hot_path_cost  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  ({unit} per request)")
    costs: dict[str, float] = {}
    for generator in GENERATORS:
        if args.tool == "callgrind":
            costs[generator] = instructions_per_request(generator, args.requests)
        else:
            costs[generator] = ns_per_request(generator, args.requests, args.rounds)
        print(f"  {generator:<6} {costs[generator]:>10,.0f} {unit} per request")
    print(f"ratio surge/bare: {costs['surge'] / costs['bare']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
