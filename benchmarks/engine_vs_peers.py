"""Benchmark: surge's load engine against wrk and Locust FastHttpUser, on one pinned nginx, in one run.

nginx (1 worker) is pinned to CPU 0; every generator runs pinned to CPU 1 with the same users and
duration. For each generator we print req/s, CPU microseconds per request (user+sys of the generator's
whole process tree divided by its request count) and p50/p99 latency, then the ratios and the targets
of issue 2 (surge CPU/request <= 2x wrk, >= 8x cheaper than Locust FastHttpUser, p50 within 15 % or
50 µs of wrk's).

    python benchmarks/engine_vs_peers.py [--duration 10s] [--users 50] [--repeat 3] [--skip-locust]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # benchmarks are scripts, not a package: import the sibling by path
    JtlSummary,
    machine_note,
    median,
    parse_locust_stats_csv,
    parse_wrk_output,
    percentile,
    run_measured,
    running_nginx,
    summarize_jtl,
    surge_command,
    taskset_prefix,
)

# Targets from issue 2 ("Performance").
MAX_CPU_RATIO_VS_WRK = 2.0
MIN_CPU_ADVANTAGE_VS_LOCUST = 8.0
P50_TOLERANCE_FRACTION = 0.15
P50_TOLERANCE_US = 50.0

TOOLS = ("wrk", "surge", "surge-monitor", "locust")
# Target of issue 13: surge run --monitor (on nginx's pid) costs at most this much more CPU per request.
MAX_MONITOR_CPU_RATIO = 1.03
SURGE_OK_EXITS = (0, 3, 4)  # passed, thresholds failed, invalid run (generator-bound)

LOCUSTFILE = textwrap.dedent(
    """\
    # Written by surge's engine_vs_peers benchmark.
    from locust import FastHttpUser, constant, task


    class Bench(FastHttpUser):
        wait_time = constant(0)

        @task
        def get(self):
            self.client.get("{path}")
    """
)


@dataclass
class ToolResult:
    """One generator's figures from one run."""

    tool: str
    requests: int
    errors: int
    rate_per_s: float
    cpu_s: float
    cpu_source: str
    wall_s: float
    p50_us: float
    p99_us: float
    latency_source: str
    processes: int
    exit_code: int = 0

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s * 1e6 / self.requests if self.requests else math.nan


# ---------------------------------------------------------------------------------------------------------
# Argument parsing
# ---------------------------------------------------------------------------------------------------------


def parse_duration_s(text: str) -> float:
    """``10s``, ``1m``, ``500ms`` or a bare number of seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 10s, 1m)")
    value = float(m.group(1))
    factor = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]
    seconds = value * factor
    if seconds <= 0:
        raise argparse.ArgumentTypeError("duration must be positive")
    return seconds


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="engine_vs_peers",
        description="surge vs wrk vs Locust FastHttpUser on one pinned nginx: req/s, CPU/request, p50/p99.",
    )
    parser.add_argument("--duration", type=parse_duration_s, default=10.0, help="per tool (default 10s)")
    parser.add_argument("--users", type=positive_int, default=50, help="connections / users (default 50)")
    parser.add_argument("--repeat", type=positive_int, default=1, help="runs per tool; medians reported")
    parser.add_argument("--skip-locust", action="store_true", help="run only surge and wrk")
    parser.add_argument(
        "--surge-quiet",
        action="store_true",
        help="pass --quiet to surge (no summary table: p50/p99 then come from the JTL, whole ms)",
    )
    parser.add_argument("--skip-surge", action="store_true", help="run only the peers (e.g. surge missing)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU nginx is pinned to (default 0)")
    parser.add_argument(
        "--client-cpu", type=int, default=1, help="CPU the generators are pinned to (default 1)"
    )
    parser.add_argument("--body-bytes", type=positive_int, default=100, help="size of the static file")
    parser.add_argument(
        "--marginal",
        action="store_true",
        help="also run each tool for 40%% of the duration (min 4 s): CPU/request without start-up costs",
    )
    parser.add_argument(
        "--monitor",
        action="store_true",
        help="also run surge with --monitor on nginx's master pid (issue 13: within 3 %% of its CPU/request)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write all figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, JTL, outputs)")
    return parser


# ---------------------------------------------------------------------------------------------------------
# Running each generator
# ---------------------------------------------------------------------------------------------------------


def _seconds_arg(duration_s: float) -> str:
    return (
        f"{round(duration_s)}s" if duration_s >= 1 and duration_s == round(duration_s) else f"{duration_s}s"
    )


def run_wrk(url: str, args: argparse.Namespace, workdir: Path, duration_s: float) -> ToolResult:
    cmd = [
        *taskset_prefix(args.client_cpu),
        "wrk",
        "-t1",
        f"-c{args.users}",
        f"-d{_seconds_arg(duration_s)}",
        "--latency",
        url,
    ]
    usage = run_measured(
        cmd, stdout_path=workdir / "wrk.out", stderr_path=workdir / "wrk.err", timeout_s=duration_s + 30
    )
    if usage.returncode != 0:
        raise RuntimeError(f"wrk exited {usage.returncode}: {_tail(workdir / 'wrk.err')}")
    wrk = parse_wrk_output((workdir / "wrk.out").read_text())
    return ToolResult(
        tool="wrk",
        requests=wrk.requests,
        errors=wrk.errors,
        rate_per_s=wrk.rate_per_s,
        cpu_s=usage.cpu_s,
        cpu_source=usage.cpu_source,
        wall_s=usage.wall_s,
        p50_us=wrk.percentiles_us.get(50.0, math.nan),
        p99_us=wrk.percentiles_us.get(99.0, math.nan),
        latency_source="wrk --latency (µs resolution)",
        processes=usage.max_processes,
    )


def run_locust(url: str, args: argparse.Namespace, workdir: Path, duration_s: float) -> ToolResult:
    base, path = _split_url(url)
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(path=path))
    prefix = workdir / "locust"
    cmd = [
        *taskset_prefix(args.client_cpu),
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(max(args.users * 10, 1000)),
        "-t",
        _seconds_arg(duration_s),
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "0",
    ]
    usage = run_measured(
        cmd,
        stdout_path=workdir / "locust.out",
        stderr_path=workdir / "locust.err",
        cwd=workdir,
        timeout_s=duration_s + 60,
    )
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise RuntimeError(
            f"Locust wrote no stats (exit {usage.returncode}): {_tail(workdir / 'locust.err')}"
        )
    loc = parse_locust_stats_csv(stats_path.read_text())
    return ToolResult(
        tool="locust",
        requests=loc.requests,
        errors=loc.failures,
        rate_per_s=loc.rate_per_s,
        cpu_s=usage.cpu_s,
        cpu_source=usage.cpu_source,
        wall_s=usage.wall_s,
        p50_us=loc.p50_us,
        p99_us=loc.p99_us,
        latency_source="Locust stats csv (rounded to whole ms below 100 ms)",
        processes=usage.max_processes,
    )


def run_surge(
    url: str, args: argparse.Namespace, workdir: Path, duration_s: float, extra: Sequence[str] = ()
) -> ToolResult:
    jtl = workdir / "surge.jtl"
    jtl.unlink(missing_ok=True)
    cmd = [
        *taskset_prefix(args.client_cpu),
        *surge_command(),
        "run",
        url,
        "-u",
        str(args.users),
        "-d",
        _seconds_arg(duration_s),
        "-p",
        "1",
        *(["--quiet"] if args.surge_quiet else []),
        *extra,
        "-o",
        str(jtl),
    ]
    usage = run_measured(
        cmd,
        stdout_path=workdir / "surge.out",
        stderr_path=workdir / "surge.err",
        timeout_s=duration_s + 60,
    )
    # 3 (thresholds failed) and 4 (invalid run: its worker used >= 90 % of its core) still leave a
    # complete results file; 4 is what a closed-loop run at full speed on one pinned core should get.
    if usage.returncode not in SURGE_OK_EXITS or not jtl.exists():
        raise RuntimeError(f"surge exited {usage.returncode}: {_tail(workdir / 'surge.err')}")
    summary = summarize_jtl(jtl)
    p50_us, p99_us, source = surge_latency_us(summary, (workdir / "surge.out").read_text(errors="replace"))
    return ToolResult(
        tool="surge",
        requests=summary.rows,
        errors=summary.failures,
        rate_per_s=summary.rate_per_s,
        cpu_s=usage.cpu_s,
        cpu_source=usage.cpu_source,
        wall_s=usage.wall_s,
        p50_us=p50_us,
        p99_us=p99_us,
        latency_source=source,
        processes=usage.max_processes,
        exit_code=usage.returncode,
    )


_UNIT_US = {"us": 1.0, "µs": 1.0, "ms": 1000.0, "s": 1_000_000.0}
_VALUE = re.compile(r"^([\d.]+)(µs|us|ms|s)?$")


def parse_surge_summary_latency_us(text: str) -> tuple[float, float] | None:
    """p50 and p99 in µs from the ``TOTAL`` row of surge's end-of-run table, if it has sub-ms precision.

    The table is whitespace-aligned under a header naming ``p50`` and ``p99``; the columns before them
    are single words, so whitespace-split positions line up. Times are in ms (as its title line says)
    unless a value carries a unit. Returns None when there is no such table or values are whole
    milliseconds (then the JTL is as good).
    """
    header: list[str] | None = None
    for raw in text.splitlines():
        tokens = raw.split()
        lowered = [t.lower() for t in tokens]
        if "p50" in lowered and "p99" in lowered:
            header = lowered
            continue
        if header is None or not tokens or tokens[0] != "TOTAL":
            continue
        out: list[float] = []
        for name in ("p50", "p99"):
            idx = header.index(name)
            if idx >= len(tokens):
                return None
            m = _VALUE.match(tokens[idx].replace(",", ""))
            if not m:
                return None
            unit = m.group(2) or "ms"
            if unit == "ms" and "." not in m.group(1):
                return None
            out.append(float(m.group(1)) * _UNIT_US[unit])
        return out[0], out[1]
    return None


def surge_latency_us(summary: JtlSummary, stdout: str) -> tuple[float, float, str]:
    """Prefer surge's own summary if it has sub-ms precision; else percentiles of the JTL's elapsed (ms)."""
    parsed = parse_surge_summary_latency_us(stdout)
    if parsed is not None:
        return parsed[0], parsed[1], "surge's end-of-run summary (HDR, 3 digits)"
    values = summary.elapsed_sorted_ms
    return (
        percentile(values, 0.50) * 1000.0,
        percentile(values, 0.99) * 1000.0,
        "JTL elapsed column (whole ms)",
    )


def _split_url(url: str) -> tuple[str, str]:
    m = re.match(r"^(https?://[^/]+)(/.*)?$", url)
    if not m:
        raise ValueError(f"bad URL {url!r}")
    return m.group(1), m.group(2) or "/"


def _tail(path: Path, chars: int = 600) -> str:
    try:
        return path.read_text(errors="replace").strip()[-chars:]
    except OSError:
        return "(no output)"


# ---------------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ToolSummary:
    """Medians over repeats of one generator's figures (each figure's median taken on its own)."""

    tool: str
    runs: int
    requests: float
    errors: float
    rate_per_s: float
    cpu_us_per_request: float
    marginal_cpu_us_per_request: float
    p50_us: float
    p99_us: float
    latency_source: str
    processes: int


def marginal_cpu_us(full: ToolResult, short: ToolResult) -> float:
    """CPU per request with fixed costs (start-up, imports, shutdown) cancelled: ΔCPU / Δrequests."""
    delta_requests = full.requests - short.requests
    if delta_requests <= 0:
        return math.nan
    return (full.cpu_s - short.cpu_s) * 1e6 / delta_requests


def summarize(tool: str, results: Sequence[ToolResult], marginals: Sequence[float]) -> ToolSummary:
    def med(get: Callable[[ToolResult], float]) -> float:
        return median([float(get(r)) for r in results])

    return ToolSummary(
        tool=tool,
        runs=len(results),
        requests=med(lambda r: r.requests),
        errors=med(lambda r: r.errors),
        rate_per_s=med(lambda r: r.rate_per_s),
        cpu_us_per_request=med(lambda r: r.cpu_us_per_request),
        marginal_cpu_us_per_request=median(marginals),
        p50_us=med(lambda r: r.p50_us),
        p99_us=med(lambda r: r.p99_us),
        latency_source=results[0].latency_source,
        processes=max(r.processes for r in results),
    )


@dataclass
class Verdicts:
    cpu_ratio_vs_wrk: float
    cpu_advantage_vs_locust: float
    p50_diff_us: float
    p50_diff_fraction: float
    lines: list[str]


def _verdict(ok: bool, measurable: bool) -> str:
    return "n/a " if not measurable else ("PASS" if ok else "MISS")


def judge(cpu_us: dict[str, float], p50_us: dict[str, float]) -> Verdicts:
    """Ratios against the targets of issue 2, as printable PASS/MISS lines."""
    nan = math.nan
    ratio = cpu_us.get("surge", nan) / cpu_us.get("wrk", nan)
    advantage = cpu_us.get("locust", nan) / cpu_us.get("surge", nan)
    diff_us = p50_us.get("surge", nan) - p50_us.get("wrk", nan)
    diff_fraction = diff_us / p50_us.get("wrk", nan)
    p50_ok = abs(diff_us) <= P50_TOLERANCE_US or abs(diff_fraction) <= P50_TOLERANCE_FRACTION
    lines = [
        f"  {_verdict(ratio <= MAX_CPU_RATIO_VS_WRK, not math.isnan(ratio))}  "
        f"surge CPU/request <= {MAX_CPU_RATIO_VS_WRK:g}x wrk's: {ratio:.2f}x",
        f"  {_verdict(advantage >= MIN_CPU_ADVANTAGE_VS_LOCUST, not math.isnan(advantage))}  "
        f"surge >= {MIN_CPU_ADVANTAGE_VS_LOCUST:g}x cheaper per request than Locust FastHttpUser: "
        f"{advantage:.1f}x",
        f"  {_verdict(p50_ok, not math.isnan(diff_us))}  surge p50 within "
        f"{P50_TOLERANCE_FRACTION:.0%} or {P50_TOLERANCE_US:g} µs of wrk's: "
        f"{diff_us:+.0f} µs ({diff_fraction:+.1%})",
    ]
    return Verdicts(ratio, advantage, diff_us, diff_fraction, lines)


def format_table(rows: Sequence[ToolSummary], with_marginal: bool) -> str:
    extra = f" {'marginal':>9}" if with_marginal else ""
    head = (
        f"{'tool':<8} {'req/s':>10} {'CPU µs/req':>11}{extra} {'p50 µs':>9} {'p99 µs':>9} "
        f"{'requests':>10} {'errors':>7} {'procs':>5}"
    )
    out = [head, "-" * len(head)]
    for r in rows:
        extra = f" {r.marginal_cpu_us_per_request:>9.1f}" if with_marginal else ""
        out.append(
            f"{r.tool:<8} {r.rate_per_s:>10,.0f} {r.cpu_us_per_request:>11.1f}{extra} {r.p50_us:>9.0f} "
            f"{r.p99_us:>9.0f} {r.requests:>10,.0f} {r.errors:>7,.0f} {r.processes:>5}"
        )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------


def run_surge_monitored(url: str, args: argparse.Namespace, workdir: Path, duration_s: float) -> ToolResult:
    """surge as above, recording nginx's processes each second (surge run --monitor PID)."""
    result = run_surge(url, args, workdir, duration_s, ("--monitor", str(args.nginx_pid)))
    return replace(result, tool="surge-monitor")


Runner = Callable[[str, argparse.Namespace, Path, float], ToolResult]
RUNNERS: dict[str, Runner] = {
    "wrk": run_wrk,
    "surge": run_surge,
    "surge-monitor": run_surge_monitored,
    "locust": run_locust,
}


def selected_tools(args: argparse.Namespace) -> list[str]:
    skipped = {"locust"} if args.skip_locust else set()
    if args.skip_surge:
        skipped.update({"surge", "surge-monitor"})
    if not args.monitor:
        skipped.add("surge-monitor")
    return [t for t in TOOLS if t not in skipped]


def _describe(res: ToolResult) -> str:
    return (
        f"{res.rate_per_s:,.0f} req/s, {res.cpu_us_per_request:.1f} µs CPU/req, "
        f"p50 {res.p50_us:.0f} µs, p99 {res.p99_us:.0f} µs, {res.errors} errors"
        + (f" (exit {res.exit_code})" if res.exit_code else "")
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tools = selected_tools(args)
    if "wrk" in tools and shutil.which("wrk") is None:
        print("engine_vs_peers: error: wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="surge-bench-"))
    results: dict[str, list[ToolResult]] = {t: [] for t in tools}
    marginals: dict[str, list[float]] = {t: [] for t in tools}
    # Long enough for Locust to get past its start-up (1-2 s, more on a loaded machine) and send traffic.
    short_s = max(4.0, float(round(args.duration * 0.4)))
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"engine_vs_peers  {started}")
    print(f"machine: {machine_note()}")
    print(
        f"nginx 1 worker on CPU {args.server_cpu}; generators on CPU {args.client_cpu}; "
        f"{args.users} users/connections, {_seconds_arg(args.duration)} each, {args.repeat} repeat(s)"
        + (f", plus a {_seconds_arg(short_s)} run each for marginal CPU" if args.marginal else "")
    )
    nginx_errors = ""
    try:
        with running_nginx(tmp / "nginx", cpu=args.server_cpu, body_bytes=args.body_bytes) as nginx:
            print(f"target: {nginx.url} ({args.body_bytes} bytes)\n")
            args.nginx_pid = nginx.proc.pid
            for rep in range(1, args.repeat + 1):
                for tool in tools:
                    print(f"[{rep}/{args.repeat}] {tool} ...", end=" ", flush=True)
                    try:
                        workdir = tmp / f"{tool}-{rep}"
                        workdir.mkdir()
                        res = RUNNERS[tool](nginx.url, args, workdir, args.duration)
                        results[tool].append(res)
                        print(_describe(res), flush=True)
                        if args.marginal:
                            short_dir = tmp / f"{tool}-{rep}-short"
                            short_dir.mkdir()
                            short = RUNNERS[tool](nginx.url, args, short_dir, short_s)
                            marginals[tool].append(marginal_cpu_us(res, short))
                            print(f"      short run: {_describe(short)}", flush=True)
                    except (RuntimeError, ValueError, OSError, KeyError) as exc:
                        print(f"FAILED: {exc}", flush=True)
            nginx_errors = nginx.error_log()
    except KeyboardInterrupt:
        print("\ninterrupted; nginx stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"\nkept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    summaries = {t: summarize(t, rs, marginals[t]) for t, rs in results.items() if rs}
    if not summaries:
        print("no generator completed", file=sys.stderr)
        return 1
    title = f"medians of {args.repeat} runs" if args.repeat > 1 else "single run"
    print(f"\nResults ({title}):")
    print(format_table(list(summaries.values()), args.marginal))
    print(
        "\nCPU µs/req = user+sys CPU of the generator's whole process tree (start-up and shutdown included)"
    )
    print("             divided by its requests.")
    if args.marginal:
        print(
            f"marginal   = (CPU of the full run - CPU of the {_seconds_arg(short_s)} run)"
            " / (difference in requests):"
        )
        print("             start-up costs (imports, process spawn) cancel out.")
    print("latency:     " + "; ".join(f"{t}: {m.latency_source}" for t, m in summaries.items()))
    cpu_us = {t: m.cpu_us_per_request for t, m in summaries.items()}
    p50 = {t: m.p50_us for t, m in summaries.items()}
    if "wrk" in cpu_us and "surge" in cpu_us:
        print(f"\nratios: surge/wrk CPU per request = {cpu_us['surge'] / cpu_us['wrk']:.2f}")
    if "locust" in cpu_us and "surge" in cpu_us:
        print(f"        Locust/surge CPU per request = {cpu_us['locust'] / cpu_us['surge']:.1f}")
    if "surge-monitor" in cpu_us and "surge" in cpu_us:
        ratio = cpu_us["surge-monitor"] / cpu_us["surge"]
        verdict = "PASS" if ratio <= MAX_MONITOR_CPU_RATIO else "MISS"
        limit = MAX_MONITOR_CPU_RATIO
        print(f"        surge --monitor / surge CPU per request = {ratio:.3f} (target <= {limit}): {verdict}")
    if "wrk" in p50 and "surge" in p50:
        d = p50["surge"] - p50["wrk"]
        print(f"        p50 surge - wrk = {d:+.0f} µs ({d / p50['wrk']:+.1%})")
    verdicts = judge(cpu_us, p50)
    print("\ntargets (issue 2), on total CPU per request:")
    print("\n".join(verdicts.lines))
    marginal_verdicts = None
    if args.marginal:
        marginal_verdicts = judge({t: m.marginal_cpu_us_per_request for t, m in summaries.items()}, p50)
        print("on marginal CPU per request:")
        print("\n".join(marginal_verdicts.lines[:2]))
    if any(level in nginx_errors for level in ("[alert]", "[crit]", "[emerg]")):
        print("\nnginx logged problems:\n" + nginx_errors[-1000:])
    if args.json:
        payload = {
            "started": started,
            "machine": machine_note(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "runs": {
                t: [asdict(r) | {"cpu_us_per_request": r.cpu_us_per_request} for r in rs]
                for t, rs in results.items()
            },
            "marginal_cpu_us_per_request": marginals,
            "summary": {t: asdict(m) for t, m in summaries.items()},
            "verdicts": {k: v for k, v in asdict(verdicts).items() if k != "lines"},
            "marginal_verdicts": (
                {k: v for k, v in asdict(marginal_verdicts).items() if k != "lines"}
                if marginal_verdicts
                else None
            ),
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
