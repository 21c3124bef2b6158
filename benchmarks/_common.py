"""Shared helpers for the benchmarks: a private nginx, a process-tree CPU/memory meter, output parsers.

Nothing here runs at import time; the benchmark scripts and their unit test import it by path.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

LOCALHOST = "127.0.0.1"


# ---------------------------------------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (the usual bind-to-0 trick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port, or raise RuntimeError."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((LOCALHOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {LOCALHOST}:{port} after {timeout_s:.0f} s") from None
            time.sleep(0.05)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (like numpy's default) of already sorted values; NaN when empty."""
    if not sorted_values:
        return math.nan
    rank = fraction * (len(sorted_values) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    weight = rank - low
    return sorted_values[low] * (1.0 - weight) + sorted_values[high] * weight


def median(values: Sequence[float]) -> float:
    """Median ignoring NaNs; NaN if nothing is left."""
    finite = sorted(v for v in values if not math.isnan(v))
    return percentile(finite, 0.5)


def taskset_prefix(cpu: int | None) -> list[str]:
    """``taskset -c CPU`` when pinning is asked for and possible, else nothing (pinning is best effort)."""
    if cpu is None or shutil.which("taskset") is None:
        return []
    if cpu >= (os.cpu_count() or 1):
        return []
    return ["taskset", "-c", str(cpu)]


def surge_command() -> list[str]:
    """How to start surge: the console script if installed, else ``python -m surge``."""
    exe = shutil.which("surge")
    return [exe] if exe else [sys.executable, "-m", "surge"]


def raise_nofile_limit(wanted: int) -> tuple[int, int]:
    """Raise RLIMIT_NOFILE of this process (and so of its children): soft to hard; hard to ``wanted`` if root.

    Returns the new (soft, hard). The hard limit is capped by fs.nr_open.
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < wanted and os.geteuid() == 0:
        cap = wanted
        with contextlib.suppress(OSError, ValueError):
            cap = min(wanted, int(Path("/proc/sys/fs/nr_open").read_text().strip()))
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (cap, cap))
            hard = cap
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def ephemeral_port_count() -> int | None:
    """How many local ports the kernel hands out for outgoing connections (net.ipv4.ip_local_port_range)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return None
    return int(high) - int(low) + 1


def machine_note() -> str:
    """One line describing the machine: CPU model, core count, load average, kernel."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load1, load5, _ = os.getloadavg()
    return (
        f"{model}, {os.cpu_count()} cores, load avg {load1:.1f}/{load5:.1f} (1/5 min), "
        f"Linux {os.uname().release}, Python {sys.version.split()[0]}"
    )


# ---------------------------------------------------------------------------------------------------------
# Running a command while measuring its whole process tree
# ---------------------------------------------------------------------------------------------------------


@dataclass
class TreeUsage:
    """What a finished command cost: CPU of it and all its descendants, wall time, peak memory."""

    returncode: int
    wall_s: float
    cpu_s: float
    cpu_source: str  # "wait4" (exact, includes reaped descendants) or "psutil" (sampled, a lower bound)
    peak_rss_bytes: int  # max over samples of the summed RSS of the tree (shared pages counted per process)
    max_processes: int
    timed_out: bool = False
    pids_seen: set[int] = field(default_factory=set)
    peak_rss_by_process: dict[str, int] = field(default_factory=dict)  # "pid name" -> peak RSS bytes


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


def run_measured(
    cmd: Sequence[str],
    *,
    stdout_path: Path,
    stderr_path: Path,
    cwd: Path | None = None,
    timeout_s: float,
    sample_interval_s: float = 0.1,
    env: dict[str, str] | None = None,
    on_sample: Callable[[float, list[psutil.Process]], None] | None = None,
) -> TreeUsage:
    """Run ``cmd`` to completion and measure user+sys CPU and peak RSS of its process tree.

    CPU comes from ``os.wait4``'s rusage of the child, which on Linux includes every descendant the tree
    reaped (e.g. worker processes joined by their parent). The tree is also sampled with psutil; if the
    sampled sum is larger (a descendant escaped reaping), that sum is used instead. On timeout or Ctrl-C
    the child's process group (which we created) is killed. ``on_sample(elapsed_s, processes)`` is
    called at every sample, e.g. to count the tree's sockets at a chosen moment.
    """
    start = time.monotonic()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True, close_fds=True
        )
    root = psutil.Process(proc.pid)
    last_cpu_s: dict[int, float] = {}
    peak_rss = 0
    peak_by_process: dict[str, int] = {}
    max_procs = 0
    timed_out = False
    rusage: resource.struct_rusage | None = None
    status = 0
    try:
        while True:
            pid, status, rusage_now = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                rusage = rusage_now
                break
            rss_sum = 0
            procs = _tree(root)
            max_procs = max(max_procs, len(procs))
            for p in procs:
                try:
                    with p.oneshot():
                        times = p.cpu_times()
                        rss = p.memory_info().rss
                        key = f"{p.pid} {p.name()}"
                except psutil.Error:
                    continue
                rss_sum += rss
                last_cpu_s[p.pid] = times.user + times.system
                peak_by_process[key] = max(peak_by_process.get(key, 0), rss)
            peak_rss = max(peak_rss, rss_sum)
            if on_sample is not None:
                on_sample(time.monotonic() - start, procs)
            if time.monotonic() - start > timeout_s:
                timed_out = True
                _kill_group(proc.pid)
                _, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(sample_interval_s)
    except BaseException:
        _kill_group(proc.pid)
        with contextlib.suppress(ChildProcessError):
            os.wait4(proc.pid, 0)
        raise
    wall_s = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(proc.pid)  # stragglers the command left behind in its own session
    assert rusage is not None
    wait4_cpu_s = rusage.ru_utime + rusage.ru_stime
    sampled_cpu_s = sum(last_cpu_s.values())
    cpu_s, source = (wait4_cpu_s, "wait4") if wait4_cpu_s >= sampled_cpu_s else (sampled_cpu_s, "psutil")
    # ru_maxrss (KiB) is the largest single process; the sampled tree sum is usually larger.
    peak_rss = max(peak_rss, rusage.ru_maxrss * 1024)
    return TreeUsage(
        returncode=proc.returncode,
        wall_s=wall_s,
        cpu_s=cpu_s,
        cpu_source=source,
        peak_rss_bytes=peak_rss,
        max_processes=max_procs,
        timed_out=timed_out,
        pids_seen=set(last_cpu_s),
        peak_rss_by_process=peak_by_process,
    )


def _kill_group(pgid: int) -> None:
    """SIGKILL the process group we created for a child (start_new_session); ignore if already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------------
# A private nginx
# ---------------------------------------------------------------------------------------------------------

NGINX_CONF = """\
# Written by surge's benchmarks; everything lives in {tmp}.
{user}
worker_processes 1;
{affinity}
worker_rlimit_nofile {rlimit_nofile};
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{
    worker_connections {worker_connections};
    use epoll;
    multi_accept on;
}}
http {{
    access_log off;
    default_type text/plain;
    # Debian's default nginx.conf: with sendfile but without tcp_nopush, nginx sends a response's
    # headers and its file in two TCP segments.
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # Connections stay open for the whole run, for wrk and surge alike.
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    open_file_cache max=64 inactive=300s;
    open_file_cache_valid 300s;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port} backlog={backlog};
        server_name localhost;
        root {tmp}/www;
        location / {{ }}
    }}
}}
"""


@dataclass
class Nginx:
    """A running nginx master we started; ``url`` serves the small static file."""

    proc: subprocess.Popen[bytes]
    port: int
    url: str
    tmp: Path
    worker_pids: list[int]

    def error_log(self) -> str:
        try:
            return (self.tmp / "error.log").read_text(errors="replace")
        except OSError:
            return ""


def _nginx_affinity(cpu: int | None) -> str:
    if cpu is None or cpu >= (os.cpu_count() or 1):
        return ""
    # Bitmask, CPU 0 rightmost.
    return f"worker_cpu_affinity {'1' + '0' * cpu};"


@contextlib.contextmanager
def running_nginx(
    tmp: Path,
    *,
    cpu: int | None = 0,
    body_bytes: int = 100,
    worker_connections: int = 1024,
    rlimit_nofile: int = 4096,
    backlog: int = 4096,
) -> Iterator[Nginx]:
    """Start nginx (1 worker, pinned to ``cpu``) serving ``/index.html`` of ``body_bytes``; stop it by pid.

    The config, pid file, logs and document root all live in ``tmp``. nginx is stopped on exit from the
    context, also on errors and Ctrl-C.
    """
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    tmp.mkdir(parents=True, exist_ok=True)
    www = tmp / "www"
    www.mkdir(exist_ok=True)
    body = (b"surge benchmark static file. " * (body_bytes // 29 + 1))[: max(body_bytes - 1, 0)] + b"\n"
    (www / "index.html").write_bytes(body)
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=tmp,
            host=LOCALHOST,
            port=port,
            affinity=_nginx_affinity(cpu),
            # As root, workers would drop to "nobody", who may not traverse a private temp dir.
            user="user root;" if os.geteuid() == 0 else "",
            worker_connections=worker_connections,
            rlimit_nofile=rlimit_nofile,
            backlog=backlog,
        )
    )
    cmd = [*taskset_prefix(cpu), nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    with (tmp / "nginx.stdout").open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    worker_pids: list[int] = []
    try:
        try:
            wait_for_port(port)
        except RuntimeError:
            log = (tmp / "error.log").read_text(errors="replace") if (tmp / "error.log").exists() else ""
            raise RuntimeError(f"nginx did not start: {log.strip()[-500:]}") from None
        with contextlib.suppress(psutil.Error):
            worker_pids = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        yield Nginx(
            proc=proc,
            port=port,
            url=f"http://{LOCALHOST}:{port}/index.html",
            tmp=tmp,
            worker_pids=worker_pids,
        )
    finally:
        _stop_nginx(proc, worker_pids)


def _stop_nginx(proc: subprocess.Popen[bytes], worker_pids: list[int]) -> None:
    # TERM is nginx's fast shutdown; the master then stops its workers.
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    for pid in worker_pids:
        with contextlib.suppress(ProcessLookupError, PermissionError, psutil.Error):
            if psutil.Process(pid).ppid() in (proc.pid, 1):
                os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------------
# Parsers for the generators' outputs
# ---------------------------------------------------------------------------------------------------------

_WRK_UNITS_US = {"us": 1.0, "ms": 1_000.0, "s": 1_000_000.0, "m": 60_000_000.0, "h": 3_600_000_000.0}
_WRK_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$")
_WRK_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
_WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rate_per_s: float
    percentiles_us: dict[float, float]
    errors: int


def parse_wrk_output(text: str) -> WrkResult:
    """Parse ``wrk --latency`` output: request count, req/s, latency distribution, errors."""
    requests = 0
    duration_s = math.nan
    rate = math.nan
    percentiles: dict[float, float] = {}
    errors = 0
    for line in text.splitlines():
        if m := _WRK_PERCENTILE.match(line):
            percentiles[float(m.group(1))] = float(m.group(2)) * _WRK_UNITS_US[m.group(3)]
        elif m := _WRK_REQUESTS.match(line):
            requests = int(m.group(1))
            duration_s = float(m.group(2)) * _WRK_UNITS_US[m.group(3)] / 1e6
        elif m := _WRK_RATE.match(line):
            rate = float(m.group(1))
        elif m := _WRK_NON2XX.search(line):
            errors += int(m.group(1))
        elif m := _WRK_SOCKET_ERRORS.search(line):
            errors += sum(int(g) for g in m.groups())
    if requests == 0:
        raise ValueError("no 'N requests in' line in wrk's output")
    return WrkResult(
        requests=requests, duration_s=duration_s, rate_per_s=rate, percentiles_us=percentiles, errors=errors
    )


@dataclass
class LocustResult:
    requests: int
    failures: int
    rate_per_s: float
    p50_us: float
    p99_us: float
    mean_us: float


def parse_locust_stats_csv(text: str) -> LocustResult:
    """Read the ``Aggregated`` row of Locust's ``<prefix>_stats.csv`` (times there are in ms)."""
    rows = list(csv.DictReader(text.splitlines()))
    agg = next((r for r in rows if r.get("Name") == "Aggregated"), None)
    if agg is None:
        raise ValueError("no Aggregated row in Locust's stats csv")

    def ms_to_us(key: str) -> float:
        value = agg.get(key, "")
        return float(value) * 1000.0 if value not in ("", "N/A") else math.nan

    return LocustResult(
        requests=int(agg["Request Count"]),
        failures=int(agg["Failure Count"]),
        rate_per_s=float(agg["Requests/s"]),
        p50_us=ms_to_us("50%"),
        p99_us=ms_to_us("99%"),
        mean_us=ms_to_us("Average Response Time"),
    )


@dataclass
class JtlSummary:
    """What the benchmarks need from a JTL CSV file."""

    rows: int
    failures: int  # success != true
    non_http: int  # responseCode starting with "Non HTTP" (client-side errors)
    non_2xx: int
    first_start_ms: int
    last_end_ms: int
    elapsed_sorted_ms: list[int]
    codes: dict[str, int]
    threads: int = 0  # distinct threadName values: users that finished at least one sample
    max_all_threads: int = 0  # largest allThreads value (active users at some moment)

    @property
    def window_s(self) -> float:
        return max(self.last_end_ms - self.first_start_ms, 1) / 1000.0

    @property
    def rate_per_s(self) -> float:
        return self.rows / self.window_s


def summarize_jtl(path: Path) -> JtlSummary:
    """Count rows, failures, client-side errors and collect elapsed times of a JTL CSV with a header."""
    rows = failures = non_http = non_2xx = 0
    first_start = sys.maxsize
    last_end = 0
    elapsed: list[int] = []
    codes: dict[str, int] = {}
    thread_names: set[str] = set()
    max_all = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty")
        col = {name: i for i, name in enumerate(header)}
        i_ts, i_el, i_code, i_ok = col["timeStamp"], col["elapsed"], col["responseCode"], col["success"]
        i_thread, i_all = col.get("threadName"), col.get("allThreads")
        for row in reader:
            if len(row) <= max(i_ts, i_el, i_code, i_ok):
                continue
            rows += 1
            start_ms = int(row[i_ts])
            elapsed_ms = int(row[i_el])
            elapsed.append(elapsed_ms)
            first_start = min(first_start, start_ms)
            last_end = max(last_end, start_ms + elapsed_ms)
            code = row[i_code]
            codes[code] = codes.get(code, 0) + 1
            if row[i_ok] != "true":
                failures += 1
            if i_thread is not None and i_thread < len(row):
                thread_names.add(row[i_thread])
            if i_all is not None and i_all < len(row) and row[i_all].isdigit():
                max_all = max(max_all, int(row[i_all]))
            if code.startswith("Non HTTP"):
                non_http += 1
            elif not code.startswith("2"):
                non_2xx += 1
    elapsed.sort()
    if rows == 0:
        first_start = 0
    return JtlSummary(
        rows=rows,
        failures=failures,
        non_http=non_http,
        non_2xx=non_2xx,
        first_start_ms=first_start,
        last_end_ms=last_end,
        elapsed_sorted_ms=elapsed,
        codes=codes,
        threads=len(thread_names),
        max_all_threads=max_all,
    )


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
