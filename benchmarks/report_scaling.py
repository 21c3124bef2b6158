"""How fast ``surge report`` builds the whole dashboard from 1M- and 10M-row JTL files, against lysiro.

Generates realistic synthetic JMeter CSV results (20 labels: 16 requests inside 4 transaction
controllers, 1 % errors of three kinds, two thread groups, several hours, JMeter's quoting), caches
them, then times as subprocesses, one after the other on the same file:

- ``surge report FILE -o DIR`` (the full dashboard: tables, 16 charts, HTML, statistics.json);
- ``lysiro report FILE`` (PyPI ``lysiro``: a streaming JTL summariser computing only the per-label
  summary table; installed with pip if missing).

It prints wall time, CPU time and peak RSS of each process tree, the lysiro/surge time ratio, the
targets (1M rows in 5 s, 10M rows in 60 s, peak < 2 GB) and how heavy the report pages are.

    python benchmarks/report_scaling.py                     # 1M and 10M rows
    python benchmarks/report_scaling.py --rows 1M --repeat 3
    python benchmarks/report_scaling.py --rows 200k --skip-lysiro --jmeter-compat

A script, not a test: the figures only mean something on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # benchmarks are scripts, not a package: import the sibling by path
    TreeUsage,
    fmt_bytes,
    machine_note,
    run_measured,
    surge_command,
)

GENERATOR_VERSION = 2  # bump when the generated content changes, to refresh the cache
HEADER = (
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
    "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
)
START_MS = 1_735_722_000_000  # 2025-01-01 09:00 UTC
TARGETS_S = {1_000_000: 5.0, 10_000_000: 60.0}
TARGET_PEAK_BYTES = 2 * 1024**3

# 4 transactions x 4 requests; (label, mean elapsed ms, response bytes). Labels with a comma are
# quoted by JMeter, as here.
TRANSACTIONS: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = (
    (
        "01 Login",
        (
            ("GET /", 45, 12_400),
            ("GET /login", 38, 6_100),
            ("POST /login", 180, 900),
            ("GET /account", 95, 8_800),
        ),
    ),
    (
        "02 Browse catalog",
        (
            ("GET /catalog", 120, 54_000),
            ("GET /search?q=red,shoes", 340, 38_500),
            ("GET /product/{id}", 85, 22_300),
            ("GET /product/{id}/reviews", 140, 16_000),
        ),
    ),
    (
        "03 Add to cart",
        (
            ("POST /cart/items", 160, 1_200),
            ("GET /cart", 70, 9_900),
            ('PUT /cart/items/{id} "qty"', 110, 1_100),
            ("GET /recommendations", 260, 27_000),
        ),
    ),
    (
        "04 Checkout",
        (
            ("GET /checkout", 90, 14_000),
            ("POST /checkout/address", 150, 2_000),
            ("POST /checkout/payment", 620, 1_800),
            ("GET /order/{id}/confirmation", 75, 7_700),
        ),
    ),
)
THREAD_GROUPS = (("Shoppers", 60), ("Browsers", 40))


def parse_rows(text: str) -> int:
    """``1M``, ``10m``, ``200k``, ``1_000_000`` -> rows."""
    value = text.strip().lower().replace("_", "")
    scale = 1
    if value.endswith("k"):
        scale, value = 1_000, value[:-1]
    elif value.endswith("m"):
        scale, value = 1_000_000, value[:-1]
    rows = int(float(value) * scale)
    if rows < 20:
        raise argparse.ArgumentTypeError(f"too few rows: {text!r} (at least 20)")
    return rows


def _csv(field: str) -> str:
    """JMeter's CSV quoting: quote when the field holds the delimiter, a quote or a line break."""
    if any(c in field for c in ',"\n\r'):
        return '"' + field.replace('"', '""') + '"'
    return field


def generate_jtl(path: Path, rows: int, hours: float, seed: int = 7) -> None:
    """Write ``rows`` JTL CSV rows spread over ``hours`` (start-time timestamps, TC rows after children)."""
    rng = random.Random(seed)
    rand = rng.random
    per_iteration = sum(len(children) + 1 for _, children in TRANSACTIONS)
    iterations = max(1, rows // per_iteration)
    step_ms = hours * 3_600_000 / iterations
    total_threads = sum(n for _, n in THREAD_GROUPS)
    threads = [f"{name} {g + 1}-{t + 1}" for g, (name, n) in enumerate(THREAD_GROUPS) for t in range(n)]
    thread_group_size = [n for _, n in THREAD_GROUPS for _ in range(n)]
    prepared = []
    for tc, children in TRANSACTIONS:
        requests = []
        for label, mean, size in children:
            url = "https://shop.example.test" + label.split(" ")[1]
            requests.append((_csv(label), mean, size, _csv(url)))
        prepared.append((_csv(tc), requests))
    assertion = _csv('Test failed: text expected to contain /"orderId":/')
    written = 0
    buffer: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for i in range(iterations):
            if written >= rows:
                break
            t = int(START_MS + i * step_ms + rand() * step_ms)
            thread_index = i % total_threads
            thread = threads[thread_index]
            # Ramp up over the first 10 %, hold, ramp down over the last 5 %.
            progress = i / iterations
            load = min(1.0, progress / 0.1, (1.0 - progress) / 0.05)
            all_threads = max(1, round(total_threads * load))
            grp_threads = max(1, round(thread_group_size[thread_index] * load))
            for tc_label, children in prepared:
                tc_start = t
                tc_elapsed = tc_bytes = tc_sent = failed = 0
                for label, mean, size, url in children:
                    r = rand()
                    elapsed = int(mean * (0.4 + 1.2 * rand()) * (6.0 if r < 0.02 else 1.0))
                    latency = int(elapsed * 0.8)
                    connect = int(rand() * 30) if r < 0.2 else 0
                    size_now = size + int(rand() * 200)
                    if r < 0.01:  # 1 % errors, three kinds
                        kind = int(rand() * 3)
                        if kind == 0:
                            fields = ("500", "Internal Server Error", "text", "false", "", 420)
                        elif kind == 1:
                            elapsed = 30_000 + int(rand() * 500)
                            fields = (
                                "Non HTTP response code: java.net.SocketTimeoutException",
                                "Non HTTP response message: Read timed out",
                                "text",
                                "false",
                                "",
                                2_400,
                            )
                        else:
                            fields = ("200", "OK", "text", "false", assertion, size_now)
                        failed += 1
                    else:
                        fields = ("200", "OK", "text", "true", "", size_now)
                    code, message, data_type, success, failure, nbytes = fields
                    sent = 380 + int(rand() * 60)
                    buffer.append(
                        f"{t},{elapsed},{label},{code},{message},{thread},{data_type},{success},{failure},"
                        f"{nbytes},{sent},{grp_threads},{all_threads},{url},{latency},0,{connect}\n"
                    )
                    tc_elapsed += elapsed
                    tc_bytes += nbytes
                    tc_sent += sent
                    t += elapsed + int(rand() * 20)
                message = _csv(
                    f"Number of samples in transaction : {len(children)}, "
                    f"number of failing samples : {failed}"
                )
                code, success = ("500", "false") if failed else ("200", "true")
                idle = t - tc_start - tc_elapsed
                buffer.append(
                    f"{tc_start},{tc_elapsed},{tc_label},{code},{message},{thread},,{success},,"
                    f"{tc_bytes},{tc_sent},{grp_threads},{all_threads},null,0,{idle},0\n"
                )  # fmt: skip
                written += len(children) + 1
            if len(buffer) >= 20_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


def cached_jtl(cache_dir: Path, rows: int, hours: float) -> Path:
    """The generated file for ``rows`` (made once, then reused: a .done marker proves it is complete)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"synthetic-{rows}-{hours:g}h-v{GENERATOR_VERSION}.jtl"
    done = path.with_suffix(".done")
    if not done.exists():
        partial = path.with_suffix(".partial")
        print(f"generating {rows:,} rows into {path} ...", flush=True)
        generate_jtl(partial, rows, hours)
        partial.replace(path)
        done.write_text("ok\n")
    return path


@dataclass
class Timed:
    tool: str
    rows: int
    usage: TreeUsage
    note: str = ""


def ensure_lysiro() -> str | None:
    exe = shutil.which("lysiro")
    if exe:
        return exe
    print("lysiro not found: pip install lysiro", flush=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lysiro"], check=False)
    if proc.returncode != 0:
        return None
    return shutil.which("lysiro")


def page_weight(report_dir: Path) -> str:
    """Size of each HTML page and the largest number of points in one over-time series."""
    sizes = []
    max_points = 0
    for page in sorted(report_dir.rglob("*.html")):
        sizes.append(f"{page.name} {fmt_bytes(page.stat().st_size)}")
        html = page.read_text(encoding="utf-8")
        marker = '<script type="application/json" id="surge-data">'
        if marker not in html:
            continue
        data = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
        for chart in data.get("charts", []):
            if chart["kind"].startswith("time_"):
                max_points = max([max_points, *(len(s["x"]) for s in chart["series"])])
    return f"pages: {', '.join(sizes)}; max points per over-time series: {max_points}"


def time_surge(jtl: Path, work: Path, rows: int, compat: bool, timeout_s: float) -> Timed:
    out = work / f"report-{rows}-{'compat' if compat else 'default'}-{os.getpid()}"
    if out.exists():
        shutil.rmtree(out)
    cmd = [*surge_command(), "report", str(jtl), "-o", str(out)] + (["--jmeter-compat"] if compat else [])
    usage = run_measured(
        cmd, stdout_path=work / "surge.out", stderr_path=work / "surge.err", timeout_s=timeout_s
    )
    if usage.returncode != 0:
        sys.stderr.write((work / "surge.err").read_text(errors="replace"))
        return Timed("surge" + (" --jmeter-compat" if compat else ""), rows, usage, "FAILED")
    note = page_weight(out)
    stderr = (work / "surge.err").read_text(errors="replace").strip()
    if stderr:  # e.g. skipped bad rows: the figures would not be about the whole file
        note += "\n    stderr: " + stderr.replace("\n", "\n    stderr: ")
    shutil.rmtree(out, ignore_errors=True)
    return Timed("surge" + (" --jmeter-compat" if compat else ""), rows, usage, note)


def time_lysiro(exe: str, jtl: Path, work: Path, rows: int, timeout_s: float) -> Timed:
    usage = run_measured(
        [exe, "report", str(jtl)],
        stdout_path=work / "lysiro.out",
        stderr_path=work / "lysiro.err",
        timeout_s=timeout_s,
    )
    note = (
        "" if usage.returncode == 0 else "FAILED: " + (work / "lysiro.err").read_text(errors="replace")[-300:]
    )
    return Timed("lysiro", rows, usage, note)


def median_timed(runs: Sequence[Timed]) -> Timed:
    """The median run by wall time among the successful ones (a failed run is returned only if all failed)."""
    ok = [r for r in runs if r.usage.returncode == 0] or list(runs)
    ordered = sorted(ok, key=lambda r: r.usage.wall_s)
    return ordered[len(ordered) // 2]


def all_ok(runs: Sequence[Timed] | None) -> bool:
    return bool(runs) and all(r.usage.returncode == 0 for r in runs or ())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--rows", type=parse_rows, nargs="+", default=[1_000_000, 10_000_000], help="sizes (1M, 10M, 200k...)"
    )
    parser.add_argument("--hours", type=float, default=4.0, help="test duration the file spans (default 4)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool and size; the median is shown")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "surge-report-bench-cache"
    )
    parser.add_argument("--skip-lysiro", action="store_true")
    parser.add_argument("--jmeter-compat", action="store_true", help="also time surge report --jmeter-compat")
    parser.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    print(machine_note())
    lysiro = None if args.skip_lysiro else ensure_lysiro()
    if not args.skip_lysiro and lysiro is None:
        print("lysiro could not be installed: timing surge only")
    results: list[Timed] = []
    with tempfile.TemporaryDirectory(prefix="surge-bench-report-") as tmp:
        work = Path(tmp)
        for rows in args.rows:
            jtl = cached_jtl(args.cache_dir, rows, args.hours)
            print(f"\n{rows:,} rows, {fmt_bytes(jtl.stat().st_size)}: {jtl}")
            modes = [False, True] if args.jmeter_compat else [False]
            runs: dict[str, list[Timed]] = {}
            for _ in range(args.repeat):  # interleaved, so both tools see the same machine load
                for compat in modes:
                    timed = time_surge(jtl, work, rows, compat, args.timeout)
                    runs.setdefault(timed.tool, []).append(timed)
                if lysiro:
                    timed = time_lysiro(lysiro, jtl, work, rows, args.timeout)
                    runs.setdefault(timed.tool, []).append(timed)
            for tool_runs in runs.values():
                best = median_timed(tool_runs)
                results.append(best)
                u = best.usage
                walls = ", ".join(f"{r.usage.wall_s:.2f}" for r in tool_runs)
                print(
                    f"  {best.tool:<22} wall {u.wall_s:7.2f} s (runs: {walls})  cpu {u.cpu_s:7.2f} s  "
                    f"peak RSS {fmt_bytes(u.peak_rss_bytes)}  exit {u.returncode}"
                )
                if best.note:
                    print(f"    {best.note}")
            surge_runs = runs.get("surge")
            lysiro_runs = runs.get("lysiro")
            if surge_runs and not all_ok(surge_runs):
                failed = sum(r.usage.returncode != 0 for r in surge_runs)
                print(f"  surge FAILED in {failed} of {len(surge_runs)} runs: no verdict")
                continue
            if surge_runs and lysiro_runs and all_ok(lysiro_runs):
                ratio = median_timed(lysiro_runs).usage.wall_s / median_timed(surge_runs).usage.wall_s
                first = "surge" if ratio > 1 else "lysiro"
                print(f"  lysiro / surge wall time: {ratio:.2f}x ({first} finishes first)")
            if surge_runs:
                u = median_timed(surge_runs).usage
                target = TARGETS_S.get(rows)
                if target is not None:
                    print(f"  target {target:.0f} s: {'met' if u.wall_s <= target else 'MISSED'}")
                peak_ok = max(r.usage.peak_rss_bytes for r in surge_runs) < TARGET_PEAK_BYTES
                print(f"  target peak < {fmt_bytes(TARGET_PEAK_BYTES)}: {'met' if peak_ok else 'MISSED'}")
    if args.json:
        figures = [
            {
                "tool": r.tool,
                "rows": r.rows,
                "wall_s": r.usage.wall_s,
                "cpu_s": r.usage.cpu_s,
                "peak_rss_bytes": r.usage.peak_rss_bytes,
                "returncode": r.usage.returncode,
                "note": r.note,
            }
            for r in results
        ]
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if all(r.usage.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
