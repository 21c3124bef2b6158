"""How fast and how heavy ``surge report`` is on 1M- and 10M-row JTL files with 20 to 100,000 labels.

Generates realistic synthetic JMeter CSV results (16 requests inside 4 transaction controllers, 1 %
errors of three kinds, two thread groups, several hours, JMeter's quoting; beyond 20 labels the
requests are named after their URL, one label per id, with a few hot ids), caches them, then times
``surge report FILE -o DIR`` (the full dashboard: tables, 16 charts, HTML, statistics.json) as a
subprocess capped at ``--memory-cap`` bytes of address space. Optionally also ``lysiro report FILE``
(PyPI ``lysiro``: a streaming JTL summariser computing only the per-label summary table).

For each case (rows x labels) it prints wall time, CPU time and peak RSS of the process tree, the
largest HTML page and data file, then a before/after summary against issue 10's figures and targets:
1M rows x 20 labels <= 3 s; 1M rows x 100,000 labels <= 20 s (aim 8 s), <= 2 GB RSS and no HTML page
over 10 MB; 10M rows <= 30 s.

    python benchmarks/report_scaling.py                     # the three cases with targets
    python benchmarks/report_scaling.py 1Mx100k --repeat 3
    python benchmarks/report_scaling.py --rows 1M --labels 20 1k 10k --jmeter-compat
    python benchmarks/report_scaling.py --rows 1M --lysiro

A script, not a test: the figures only mean something on a quiet machine (the load average is shown).
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

GENERATOR_VERSION = 3  # bump when the generated content changes, to refresh the cache
HEADER = (
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
    "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
)
START_MS = 1_735_722_000_000  # 2025-01-01 09:00 UTC

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


def _variant_label(template: str, variant: int, variants: int) -> str:
    """``GET /product/{id}`` as one label per id, the way real files label by URL."""
    if variants == 1:
        return template
    if "{id}" in template:
        return template.replace("{id}", str(variant))
    if "?" in template:
        return f"{template}&page={variant}"
    return f"{template.rstrip('/')}/{variant}"


def label_variants(labels: int) -> list[int]:
    """How many labels each of the 16 request templates becomes so that the file has ``labels`` labels
    (4 transaction-controller labels included)."""
    if labels < 20:
        raise ValueError(f"at least 20 labels (the 4 transactions and their 16 requests), not {labels}")
    requests = labels - len(TRANSACTIONS)
    templates = sum(len(children) for _, children in TRANSACTIONS)
    return [requests // templates + (1 if k < requests % templates else 0) for k in range(templates)]


def generate_jtl(path: Path, rows: int, hours: float, seed: int = 7, labels: int = 20) -> None:
    """Write ``rows`` JTL CSV rows spread over ``hours`` (start-time timestamps, TC rows after children).

    With more than 20 ``labels`` each request template is split into one label per id (a few hot
    ids take most samples, every id appears at least once when the file is large enough), as in
    files whose samplers are named after their URL.
    """
    rng = random.Random(seed)
    rand = rng.random
    per_iteration = sum(len(children) + 1 for _, children in TRANSACTIONS)
    iterations = max(1, rows // per_iteration)
    step_ms = hours * 3_600_000 / iterations
    total_threads = sum(n for _, n in THREAD_GROUPS)
    threads = [f"{name} {g + 1}-{t + 1}" for g, (name, n) in enumerate(THREAD_GROUPS) for t in range(n)]
    thread_group_size = [n for _, n in THREAD_GROUPS for _ in range(n)]
    variants = label_variants(labels)
    prepared = []
    template = 0
    for tc, children in TRANSACTIONS:
        requests = []
        for label, mean, size in children:
            count = variants[template]
            names = [_csv(_variant_label(label, v, count)) for v in range(count)]
            urls = [_csv("https://shop.example.test" + _variant_label(label, v, count).split(" ")[1])
                    for v in range(count)]  # fmt: skip
            requests.append((names, urls, mean, size, [0]))
            template += 1
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
                for names, urls, mean, size, cycle in children:
                    if len(names) == 1:
                        pick = 0
                    elif rand() < 0.5:  # every id in turn, so that all of them appear
                        pick = cycle[0] % len(names)
                        cycle[0] += 1
                    else:  # hot ids: low ids far more often
                        pick = int(len(names) * rand() ** 4)
                    label, url = names[pick], urls[pick]
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


def cached_jtl(cache_dir: Path, rows: int, hours: float, labels: int = 20) -> Path:
    """The generated file for ``rows`` (made once, then reused: a .done marker proves it is complete)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    many = "" if labels == 20 else f"-{labels}labels"
    path = cache_dir / f"synthetic-{rows}-{hours:g}h{many}-v{GENERATOR_VERSION}.jtl"
    done = path.with_suffix(".done")
    if not done.exists():
        partial = path.with_suffix(".partial")
        print(f"generating {rows:,} rows with {labels:,} labels into {path} ...", flush=True)
        generate_jtl(partial, rows, hours, labels=labels)
        partial.replace(path)
        done.write_text("ok\n")
    return path


def parse_case(text: str) -> tuple[int, int]:
    """``1Mx100k`` -> (1_000_000, 100_000): rows x labels."""
    rows, sep, labels = text.lower().partition("x")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected ROWSxLABELS such as 1Mx100k, got {text!r}")
    count = parse_rows(labels)
    if count < 20:
        raise argparse.ArgumentTypeError(f"at least 20 labels, got {text!r}")
    return parse_rows(rows), count


def parse_bytes(text: str) -> int:
    """``6G``, ``500M``, ``6000000000`` -> bytes (decimal units, as prlimit takes them)."""
    value = text.strip().upper().rstrip("B")
    scale = {"K": 10**3, "M": 10**6, "G": 10**9}.get(value[-1:], 1)
    return int(float(value[:-1] if scale > 1 else value) * scale)


def case_name(rows: int, labels: int) -> str:
    return f"{_count(rows)} rows x {labels:,} labels"


def _count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def mb(n: float) -> str:
    """Decimal megabytes (the unit of the targets): ``116.0 MB``."""
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


@dataclass(frozen=True)
class Target:
    wall_s: float
    peak_rss_bytes: int = 2 * 10**9
    largest_page_bytes: int | None = None
    aim_s: float | None = None


# Issue 10's targets. 10M rows: the 20-label file.
TARGETS: dict[tuple[int, int], Target] = {
    (1_000_000, 20): Target(3.0, largest_page_bytes=10 * 10**6),
    (1_000_000, 100_000): Target(20.0, largest_page_bytes=10 * 10**6, aim_s=8.0),
    (10_000_000, 20): Target(30.0, largest_page_bytes=10 * 10**6),
}
DEFAULT_CASES = list(TARGETS)

# "Before": surge report on main before the top-N charts and lazy tables (issue 10's figures, 1M
# rows). Never rerun the 100,000-label case on that code: it took 24 GB.
BEFORE: dict[tuple[int, int], str] = {
    (1_000_000, 20): "2.9 s",
    (1_000_000, 1_000): "15.7 s, report 33 MB",
    (1_000_000, 10_000): "86 s, 4.5 GB RSS, report 256 MB, one chart page 116 MB",
    (1_000_000, 100_000): "OOM-killed at 23.8 GB RSS",
    (10_000_000, 20): "41.1 s, 1.1 GiB RSS (docs/report.md, 2026-11-26)",
}


@dataclass
class Timed:
    tool: str
    rows: int
    labels: int
    usage: TreeUsage
    note: str = ""
    largest_page: tuple[str, int] = ("", 0)  # the largest .html file and its size
    largest_other: tuple[str, int] = ("", 0)  # the largest other file, plotly.min.js apart
    report_bytes: int = 0
    load_avg: float = 0.0


def ensure_lysiro() -> str | None:
    exe = shutil.which("lysiro")
    if exe:
        return exe
    print("lysiro not found: pip install lysiro", flush=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lysiro"], check=False)
    if proc.returncode != 0:
        return None
    return shutil.which("lysiro")


def report_weight(report_dir: Path) -> tuple[tuple[str, int], tuple[str, int], int]:
    """(largest HTML page, largest other file but plotly.min.js, total bytes) of a report folder."""
    page = other = ("", 0)
    total = 0
    for path in report_dir.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        name = path.relative_to(report_dir).as_posix()
        if path.suffix == ".html":
            page = max(page, (name, size), key=lambda item: item[1])
        elif path.name != "plotly.min.js":
            other = max(other, (name, size), key=lambda item: item[1])
    return page, other, total


def series_points(report_dir: Path) -> str:
    """The number of series per chart page and the largest number of points in one over-time series."""
    max_points = 0
    most_series = 0
    for page in sorted((report_dir / "content" / "pages").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        marker = '<script type="application/json" id="surge-data">'
        if marker not in html:
            continue
        data = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
        for chart in data.get("charts", []):
            most_series = max(most_series, len(chart["series"]))
            if chart["kind"].startswith("time_"):
                max_points = max([max_points, *(len(s["x"]) for s in chart["series"])])
    return f"most series in one chart: {most_series}; max points per over-time series: {max_points}"


def memory_prefix(limit_bytes: int | None) -> list[str]:
    """``prlimit --as=N --``: a run that would eat the shared machine fails instead."""
    if not limit_bytes:
        return []
    exe = shutil.which("prlimit")
    if exe is None:
        print("prlimit not found: runs are not memory-capped", flush=True)
        return []
    return [exe, f"--as={limit_bytes}", "--"]


def time_surge(
    jtl: Path, work: Path, case: tuple[int, int], compat: bool, timeout_s: float, cap: list[str]
) -> Timed:
    rows, labels = case
    out = work / f"report-{rows}-{labels}-{'compat' if compat else 'default'}-{os.getpid()}"
    if out.exists():
        shutil.rmtree(out)
    cmd = [*cap, *surge_command(), "report", str(jtl), "-o", str(out)] + (
        ["--jmeter-compat"] if compat else []
    )
    load_avg = os.getloadavg()[0]
    usage = run_measured(
        cmd, stdout_path=work / "surge.out", stderr_path=work / "surge.err", timeout_s=timeout_s
    )
    tool = "surge" + (" --jmeter-compat" if compat else "")
    if usage.returncode != 0:
        err = (work / "surge.err").read_text(errors="replace").strip()
        shutil.rmtree(out, ignore_errors=True)
        return Timed(tool, rows, labels, usage, "FAILED: " + err[-300:], load_avg=load_avg)
    page, other, total = report_weight(out)
    note = series_points(out)
    stderr = (work / "surge.err").read_text(errors="replace").strip()
    if stderr:  # e.g. skipped bad rows: the figures would not be about the whole file
        note += "\n    stderr: " + stderr.replace("\n", "\n    stderr: ")
    shutil.rmtree(out, ignore_errors=True)
    return Timed(tool, rows, labels, usage, note, page, other, total, load_avg)


def time_lysiro(exe: str, jtl: Path, work: Path, case: tuple[int, int], timeout_s: float) -> Timed:
    usage = run_measured(
        [exe, "report", str(jtl)],
        stdout_path=work / "lysiro.out",
        stderr_path=work / "lysiro.err",
        timeout_s=timeout_s,
    )
    note = (
        "" if usage.returncode == 0 else "FAILED: " + (work / "lysiro.err").read_text(errors="replace")[-300:]
    )
    return Timed("lysiro", case[0], case[1], usage, note)


def median_timed(runs: Sequence[Timed]) -> Timed:
    """The median run by wall time among the successful ones (a failed run is returned only if all failed)."""
    ok = [r for r in runs if r.usage.returncode == 0] or list(runs)
    ordered = sorted(ok, key=lambda r: r.usage.wall_s)
    return ordered[len(ordered) // 2]


def all_ok(runs: Sequence[Timed] | None) -> bool:
    return bool(runs) and all(r.usage.returncode == 0 for r in runs or ())


def verdict(run: Timed, runs: Sequence[Timed]) -> str:
    """``met`` / ``MISSED (...)`` against the case's target, or '' when the case has none."""
    target = TARGETS.get((run.rows, run.labels))
    if target is None:
        return ""
    if not all_ok(runs):
        return "MISSED (a run failed)"
    misses = []
    if run.usage.wall_s > target.wall_s:
        misses.append(f"{run.usage.wall_s:.1f} s > {target.wall_s:g} s")
    peak = max(r.usage.peak_rss_bytes for r in runs)
    if peak > target.peak_rss_bytes:
        misses.append(f"peak {mb(peak)} > {mb(target.peak_rss_bytes)}")
    if target.largest_page_bytes is not None and run.largest_page[1] > target.largest_page_bytes:
        misses.append(f"page {mb(run.largest_page[1])} > {mb(target.largest_page_bytes)}")
    aim = (
        f"; aim {target.aim_s:g} s {'met' if run.usage.wall_s <= target.aim_s else 'not met'}"
        if target.aim_s
        else ""
    )
    return ("MISSED (" + "; ".join(misses) + ")" if misses else "met") + aim


def target_text(case: tuple[int, int]) -> str:
    target = TARGETS.get(case)
    if target is None:
        return "(no target)"
    page = f", pages <= {mb(target.largest_page_bytes)}" if target.largest_page_bytes else ""
    return f"<= {target.wall_s:g} s, <= {mb(target.peak_rss_bytes)} RSS{page}"


def print_summary(results: Sequence[tuple[Timed, Sequence[Timed]]]) -> None:
    print("\nbefore (issue 10, main before top-N charts and lazy tables) / after (this run, median):")
    for best, runs in results:
        if not best.tool.startswith("surge"):
            continue
        case = (best.rows, best.labels)
        u = best.usage
        walls = ", ".join(f"{r.usage.wall_s:.2f}" for r in runs)
        print(f"  {case_name(*case)}{' (--jmeter-compat)' if 'compat' in best.tool else ''}")
        print(f"    before: {BEFORE.get(case, '(not measured)')}")
        if u.returncode != 0:
            print(f"    after:  FAILED ({best.note})")
        else:
            print(
                f"    after:  {u.wall_s:.2f} s (runs: {walls}; load avg {best.load_avg:.1f}), "
                f"peak RSS {mb(max(r.usage.peak_rss_bytes for r in runs))}, largest HTML page "
                f"{mb(best.largest_page[1])} ({best.largest_page[0]}), largest data file "
                f"{mb(best.largest_other[1])} ({best.largest_other[0]}), report {mb(best.report_bytes)}"
            )
        if "compat" not in best.tool:
            print(f"    target: {target_text(case)}: {verdict(best, runs) or '-'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "cases",
        nargs="*",
        type=parse_case,
        metavar="ROWSxLABELS",
        help="e.g. 1Mx20 1Mx100k 10Mx20 (default: the three cases with targets)",
    )
    parser.add_argument("--rows", type=parse_rows, nargs="+", help="sizes (1M, 10M, 200k...), with --labels")
    parser.add_argument(
        "--labels", type=parse_rows, nargs="+", default=[20], help="label counts (default 20)"
    )
    parser.add_argument("--hours", type=float, default=4.0, help="test duration the file spans (default 4)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool and size; the median is shown")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "surge-report-bench-cache"
    )
    parser.add_argument("--lysiro", action="store_true", help="also time lysiro report (pip install lysiro)")
    parser.add_argument("--jmeter-compat", action="store_true", help="also time surge report --jmeter-compat")
    parser.add_argument("--timeout", type=float, default=900.0, help="per run, seconds")
    parser.add_argument(
        "--memory-cap",
        type=parse_bytes,
        default=parse_bytes("6G"),
        metavar="BYTES",
        help="address-space limit of each run (prlimit --as; default 6G, 0 for none)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    cases: list[tuple[int, int]] = list(args.cases)
    if args.rows:
        cases += [(rows, labels) for rows in args.rows for labels in args.labels]
    cases = cases or DEFAULT_CASES

    print(machine_note())
    lysiro = ensure_lysiro() if args.lysiro else None
    if args.lysiro and lysiro is None:
        print("lysiro could not be installed: timing surge only")
    cap = memory_prefix(args.memory_cap)
    results: list[tuple[Timed, list[Timed]]] = []
    with tempfile.TemporaryDirectory(prefix="surge-bench-report-") as tmp:
        work = Path(tmp)
        for case in cases:
            rows, labels = case
            jtl = cached_jtl(args.cache_dir, rows, args.hours, labels)
            print(f"\n{case_name(*case)}, {fmt_bytes(jtl.stat().st_size)}: {jtl}", flush=True)
            modes = [False, True] if args.jmeter_compat else [False]
            runs: dict[str, list[Timed]] = {}
            for _ in range(args.repeat):  # interleaved, so both tools see the same machine load
                for compat in modes:
                    timed = time_surge(jtl, work, case, compat, args.timeout, cap)
                    runs.setdefault(timed.tool, []).append(timed)
                if lysiro:
                    timed = time_lysiro(lysiro, jtl, work, case, args.timeout)
                    runs.setdefault(timed.tool, []).append(timed)
            for tool_runs in runs.values():
                best = median_timed(tool_runs)
                results.append((best, tool_runs))
                u = best.usage
                walls = ", ".join(f"{r.usage.wall_s:.2f}" for r in tool_runs)
                print(
                    f"  {best.tool:<22} wall {u.wall_s:7.2f} s (runs: {walls})  cpu {u.cpu_s:7.2f} s  "
                    f"peak RSS {fmt_bytes(u.peak_rss_bytes)}  exit {u.returncode}",
                    flush=True,
                )
                if best.note:
                    print(f"    {best.note}")
            surge_runs = runs.get("surge")
            lysiro_runs = runs.get("lysiro")
            if surge_runs and lysiro_runs and all_ok(surge_runs) and all_ok(lysiro_runs):
                ratio = median_timed(lysiro_runs).usage.wall_s / median_timed(surge_runs).usage.wall_s
                first = "surge" if ratio > 1 else "lysiro"
                print(f"  lysiro / surge wall time: {ratio:.2f}x ({first} finishes first)")
    print_summary(results)
    if args.json:
        figures = [
            {
                "tool": r.tool,
                "rows": r.rows,
                "labels": r.labels,
                "wall_s": r.usage.wall_s,
                "runs_wall_s": [x.usage.wall_s for x in runs],
                "cpu_s": r.usage.cpu_s,
                "peak_rss_bytes": max(x.usage.peak_rss_bytes for x in runs),
                "largest_page": list(r.largest_page),
                "largest_other_file": list(r.largest_other),
                "report_bytes": r.report_bytes,
                "load_avg": r.load_avg,
                "returncode": r.usage.returncode,
                "note": r.note,
            }
            for r, runs in results
        ]
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if all(all_ok(runs) for _, runs in results) else 1


if __name__ == "__main__":
    sys.exit(main())
