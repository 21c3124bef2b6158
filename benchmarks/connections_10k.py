"""Benchmark: one surge process holds 10,000 concurrent users (keep-alive connections) against local nginx.

Raises the open-files limit, starts nginx (1 worker, worker_connections 20000) on 127.0.0.1, runs
``surge run URL -u 10000 -p 1 -d 20s --ramp-up 5s``, then checks the results file has no client-side
errors and reports the peak memory of surge's process tree, req/s and how many connections it held.

    python benchmarks/connections_10k.py [--users 10000] [--duration 20s] [--ramp-up 5s]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # benchmarks are scripts, not a package: import the sibling by path
    JtlSummary,
    ephemeral_port_count,
    fmt_bytes,
    machine_note,
    percentile,
    raise_nofile_limit,
    run_measured,
    running_nginx,
    summarize_jtl,
    surge_command,
)
from engine_vs_peers import _seconds_arg, parse_duration_s, positive_int

# Sockets the generator needs besides one per user: event loop, pipes, results file, logging.
FD_HEADROOM = 1024
# 3 and 4 still mean a complete run and results file (thresholds failed / generator was the bottleneck).
COMPLETED_EXITS = (0, 3, 4)
EXIT_MEANING = {3: " (thresholds failed)", 4: " (invalid run: surge's worker used >= 90 % of its core)"}
SLOW_MS = 1000  # samples slower than this are broken down into new vs reused connections


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connections_10k",
        description="One surge process, 10,000 concurrent users against local nginx: errors, memory, req/s.",
    )
    parser.add_argument("--users", type=positive_int, default=10_000, help="concurrent users (default 10000)")
    parser.add_argument("--duration", type=parse_duration_s, default=20.0, help="run length (default 20s)")
    parser.add_argument("--ramp-up", type=parse_duration_s, default=5.0, help="ramp-up (default 5s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (config, JTL, outputs)")
    return parser


def listen_queue_length(port: int, proc_net_tcp: str) -> int | None:
    """Connections waiting in the accept queue of the listener on ``port`` (rx_queue of its LISTEN row)."""
    port_hex = f":{port:04X}"
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        # sl local_address rem_address st tx_queue:rx_queue ...; st 0A is LISTEN.
        if len(fields) > 4 and fields[1].endswith(port_hex) and fields[3] == "0A":
            return int(fields[4].split(":")[1], 16)
    return None


class RunProbe:
    """Watches the run: the server's accept-queue peak (every second) and, once after ramp-up, how many
    TCP connections surge's processes hold to the server port."""

    def __init__(self, port: int, at_s: float, server_pids: Sequence[int]) -> None:
        self.port = port
        self.at_s = at_s
        self.established: int | None = None
        self.other: int = 0
        self.max_accept_queue = 0
        self.next_queue_check_s = 0.0
        self.server_pids = list(server_pids)
        self.server_cpu_s = 0.0

    def __call__(self, elapsed_s: float, processes: list[psutil.Process]) -> None:
        if elapsed_s >= self.next_queue_check_s:
            self.next_queue_check_s = elapsed_s + 1.0
            with contextlib.suppress(OSError):
                queued = listen_queue_length(self.port, Path("/proc/net/tcp").read_text())
                self.max_accept_queue = max(self.max_accept_queue, queued or 0)
            self.server_cpu_s = max(self.server_cpu_s, _cpu_s(self.server_pids))
        if self.established is not None or elapsed_s < self.at_s:
            return
        established = other = 0
        for proc in processes:
            with contextlib.suppress(psutil.Error):
                for conn in proc.net_connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port == self.port:
                        if conn.status == psutil.CONN_ESTABLISHED:
                            established += 1
                        else:
                            other += 1
        self.established, self.other = established, other


def slow_samples(path: Path, threshold_ms: int) -> dict[str, int]:
    """How many samples took longer than ``threshold_ms``, and how many of those opened a connection.

    Tells a slow connect (ramp-up, accept backlog) apart from a slow request on a warm connection
    (an event loop that cannot keep up with its users).
    """
    slow = slow_new = new = 0
    max_connect_ms = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        col = {name: i for i, name in enumerate(header)}
        i_el, i_conn = col["elapsed"], col["Connect"]
        for row in reader:
            if len(row) <= max(i_el, i_conn):
                continue
            connect_ms = int(row[i_conn]) if row[i_conn].isdigit() else 0
            is_new = connect_ms > 0
            new += is_new
            max_connect_ms = max(max_connect_ms, connect_ms)
            if int(row[i_el]) > threshold_ms:
                slow += 1
                slow_new += is_new
    return {
        "slow": slow,
        "slow_on_new_connection": slow_new,
        "new_connections": new,
        "max_connect_ms": max_connect_ms,
    }


def verdict_lines(summary: JtlSummary, users: int, returncode: int) -> list[str]:
    """PASS/MISS lines: surge exited 0, rows were written, no client-side errors, every user took part."""
    client_errors = summary.non_http

    def line(ok: bool, text: str) -> str:
        return f"  {'PASS' if ok else 'MISS'}  {text}"

    return [
        line(
            returncode in COMPLETED_EXITS,
            f"surge completed: exit code {returncode}{EXIT_MEANING.get(returncode, '')}",
        ),
        line(summary.rows > 0, f"{summary.rows:,} samples recorded"),
        line(client_errors == 0, f"{client_errors:,} client-side errors (Non HTTP response codes)"),
        line(summary.non_2xx == 0, f"{summary.non_2xx:,} non-2xx responses"),
        line(summary.threads >= users, f"{summary.threads:,} of {users:,} users completed a sample"),
    ]


def _cpu_s(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def _somaxconn() -> str:
    try:
        return Path("/proc/sys/net/core/somaxconn").read_text().strip()
    except OSError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    wanted_fds = args.users + FD_HEADROOM
    soft, hard = raise_nofile_limit(max(wanted_fds * 2, 65_536))
    if soft < wanted_fds:
        print(
            f"connections_10k: error: open-files limit is {soft} (hard {hard}); {args.users} users need "
            f"about {wanted_fds}. Raise it (ulimit -n) or run as root.",
            file=sys.stderr,
        )
        return 2
    ports = ephemeral_port_count()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"connections_10k  {started}")
    print(f"machine: {machine_note()}")
    print(f"open-files limit: {soft} (hard {hard}); ephemeral ports: {ports if ports is not None else '?'}")
    if ports is not None and ports < args.users + 100:
        print(f"warning: only {ports} ephemeral ports for {args.users} connections to one address and port")

    tmp = Path(tempfile.mkdtemp(prefix="surge-10k-"))
    jtl = tmp / "surge.jtl"
    try:
        with running_nginx(
            tmp / "nginx",
            cpu=None,
            # One worker connection per client connection; nginx may not go above our hard limit.
            worker_connections=args.users + 1000,
            rlimit_nofile=min(hard, 2 * args.users + 2000),
            backlog=min(args.users, 65_535),
        ) as nginx:
            print(f"target: {nginx.url}\n")
            cmd = [
                *surge_command(),
                "run",
                nginx.url,
                "-u",
                str(args.users),
                "-p",
                "1",
                "-d",
                _seconds_arg(args.duration),
                "--ramp-up",
                _seconds_arg(args.ramp_up),
                "-o",
                str(jtl),
            ]
            print("running: " + " ".join(cmd[-12:]), flush=True)
            # Count connections half way between the end of ramp-up and the end of the run.
            probe = RunProbe(
                nginx.port,
                at_s=args.ramp_up + (args.duration - args.ramp_up) / 2 + 1,
                server_pids=nginx.worker_pids,
            )
            server_cpu_before = _cpu_s(nginx.worker_pids)
            usage = run_measured(
                cmd,
                stdout_path=tmp / "surge.out",
                stderr_path=tmp / "surge.err",
                timeout_s=args.duration + 120,
                sample_interval_s=0.2,
                on_sample=probe,
            )
            server_cpu_s = max(_cpu_s(nginx.worker_pids), probe.server_cpu_s) - server_cpu_before
            nginx_errors = nginx.error_log()
        if not jtl.exists():
            err = (tmp / "surge.err").read_text(errors="replace")[-1000:]
            print(f"surge wrote no results file (exit {usage.returncode}):\n{err}", file=sys.stderr)
            return 1
        summary = summarize_jtl(jtl)
        slow = slow_samples(jtl, SLOW_MS)
    except KeyboardInterrupt:
        print("\ninterrupted; nginx stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    p50_ms = percentile(summary.elapsed_sorted_ms, 0.5)
    p99_ms = percentile(summary.elapsed_sorted_ms, 0.99)
    print(f"\nsurge: exit {usage.returncode}, wall {usage.wall_s:.1f} s, CPU {usage.cpu_s:.1f} s")
    print(f"samples: {summary.rows:,} over {summary.window_s:.1f} s = {summary.rate_per_s:,.0f} req/s")
    print(f"latency (JTL, whole ms): p50 {p50_ms:.0f} ms, p99 {p99_ms:.0f} ms")
    print(
        f"samples over {SLOW_MS} ms: {slow['slow']:,}, of which {slow['slow_on_new_connection']:,} opened a "
        f"connection; samples with Connect > 0 ms: {slow['new_connections']:,}, "
        f"max Connect {slow['max_connect_ms']} ms"
    )
    print(f"users that completed a sample: {summary.threads:,}; max allThreads: {summary.max_all_threads:,}")
    if probe.established is not None:
        print(
            f"connections to nginx held by surge at t={probe.at_s:.0f} s: {probe.established:,} open"
            + (f", {probe.other:,} in other states" if probe.other else "")
        )
    print(
        f"nginx: worker CPU {server_cpu_s:.1f} s during the run; "
        f"accept queue peak {probe.max_accept_queue:,} "
        f"(limit: backlog {min(args.users, 65_535):,} capped by net.core.somaxconn {_somaxconn()})"
    )
    print(f"response codes: {dict(sorted(summary.codes.items(), key=lambda kv: -kv[1])[:8])}")
    print(
        f"peak memory: {fmt_bytes(usage.peak_rss_bytes)} RSS summed over surge's {usage.max_processes} "
        f"process(es), sampled every 0.2 s"
    )
    for key, rss in sorted(usage.peak_rss_by_process.items(), key=lambda kv: -kv[1])[:4]:
        print(f"  {key}: {fmt_bytes(rss)}")
    lines = verdict_lines(summary, args.users, usage.returncode)
    print("\nchecks:")
    print("\n".join(lines))
    if any(level in nginx_errors for level in ("[alert]", "[crit]", "[emerg]")):
        print("\nnginx logged problems:\n" + nginx_errors[-1000:])
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": started,
                    "machine": machine_note(),
                    "users": args.users,
                    "returncode": usage.returncode,
                    "samples": summary.rows,
                    "rate_per_s": summary.rate_per_s,
                    "client_errors": summary.non_http,
                    "non_2xx": summary.non_2xx,
                    "users_with_samples": summary.threads,
                    "connections_established": probe.established,
                    "peak_rss_bytes": usage.peak_rss_bytes,
                    "peak_rss_by_process": usage.peak_rss_by_process,
                    "cpu_s": usage.cpu_s,
                    "p50_ms": p50_ms,
                    "p99_ms": p99_ms,
                    "slow_samples": slow,
                    "server_cpu_s": server_cpu_s,
                    "max_accept_queue": probe.max_accept_queue,
                },
                indent=2,
            )
        )
    return 0 if all(line.startswith("  PASS") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
