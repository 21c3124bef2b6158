"""What ``surge compare`` of two results files costs against one ``surge report`` of one of them.

Issue 15's target: comparing two 1M-row files takes at most 2x the time of one report of one of
them. Both files are realistic synthetic JMeter CSV (benchmarks/report_scaling.py's generator, two
seeds, cached next to its files). Each repeat runs, one after the other in the same run,

    surge report BASE.jtl -o DIR
    surge compare BASE.jtl CAND.jtl -o DIR

as subprocesses capped at ``--memory-cap`` bytes of address space, and prints wall time, CPU time and
peak RSS of each, the load average when each started, the medians and the ratio of the medians.

    python benchmarks/compare_cost.py                      # 1M rows, 20 labels, 5 repeats
    python benchmarks/compare_cost.py --rows 100k --repeat 3
    python benchmarks/compare_cost.py --labels 1000

A script, not a test: the figures only mean something on a quiet machine (the load average is shown).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TreeUsage, fmt_bytes, machine_note, run_measured, surge_command  # sibling scripts
from report_scaling import (
    GENERATOR_VERSION,
    cached_jtl,
    generate_jtl,
    memory_prefix,
    parse_bytes,
    parse_rows,
)

TARGET_RATIO = 2.0
CANDIDATE_SEED = 8  # the baseline is report_scaling's file (seed 7)


@dataclass(frozen=True)
class Timed:
    what: str  # "report" or "compare"
    usage: TreeUsage
    load_avg: float  # 1-minute load average when the command started
    note: str = ""


def candidate_jtl(cache_dir: Path, rows: int, hours: float, labels: int) -> Path:
    """A second run of the same test (another seed), cached like report_scaling's files."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    many = "" if labels == 20 else f"-{labels}labels"
    path = cache_dir / f"synthetic-{rows}-{hours:g}h{many}-seed{CANDIDATE_SEED}-v{GENERATOR_VERSION}.jtl"
    done = path.with_suffix(".done")
    if not done.exists():
        partial = path.with_suffix(".partial")
        print(
            f"generating {rows:,} rows with {labels:,} labels (seed {CANDIDATE_SEED}) into {path} ...",
            flush=True,
        )
        generate_jtl(partial, rows, hours, seed=CANDIDATE_SEED, labels=labels)
        partial.replace(path)
        done.write_text("ok\n")
    return path


def timed(what: str, args: Sequence[str], work: Path, cap: list[str], timeout_s: float) -> Timed:
    out = work / f"{what}-out"
    shutil.rmtree(out, ignore_errors=True)
    load_avg = os.getloadavg()[0]
    usage = run_measured(
        [*cap, *surge_command(), what, *args, "-o", str(out)],
        stdout_path=work / f"{what}.out",
        stderr_path=work / f"{what}.err",
        timeout_s=timeout_s,
    )
    shutil.rmtree(out, ignore_errors=True)
    # compare exits 3 when it finds a regression: a result, not a failure
    ok = usage.returncode == 0 or (what == "compare" and usage.returncode == 3)
    note = "" if ok else "FAILED: " + (work / f"{what}.err").read_text(errors="replace").strip()[-300:]
    return Timed(what, usage, load_avg, note)


def line(run: Timed) -> str:
    u = run.usage
    return (
        f"  {run.what:<8} wall {u.wall_s:6.2f} s  cpu {u.cpu_s:6.2f} s"
        f"  peak RSS {fmt_bytes(u.peak_rss_bytes):>9}  load {run.load_avg:4.1f}  exit {u.returncode}"
        + (f"  {run.note}" if run.note else "")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=parse_rows, default=1_000_000, help="rows per file (1M, 100k, ...)")
    parser.add_argument("--labels", type=int, default=20, help="labels in each file (default 20)")
    parser.add_argument("--hours", type=float, default=4.0, help="test duration the rows are spread over")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "surge-report-bench-cache"
    )
    parser.add_argument("--memory-cap", type=parse_bytes, default=parse_bytes("4G"), help="address space cap")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per command")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    base = cached_jtl(args.cache_dir, args.rows, args.hours, args.labels)
    cand = candidate_jtl(args.cache_dir, args.rows, args.hours, args.labels)
    cap = memory_prefix(args.memory_cap)
    print(machine_note())
    print(f"files: {base} and {cand} ({args.rows:,} rows, {args.labels:,} labels each)")
    runs: dict[str, list[Timed]] = {"report": [], "compare": []}
    with tempfile.TemporaryDirectory(prefix="surge-bench-compare-") as temp:
        work = Path(temp)
        for i in range(args.repeat):
            print(f"repeat {i + 1}/{args.repeat}", flush=True)
            for what, cmd in (("report", [str(base)]), ("compare", [str(base), str(cand)])):
                run = timed(what, cmd, work, cap, args.timeout)
                runs[what].append(run)
                print(line(run), flush=True)
    if any(r.note for rs in runs.values() for r in rs):
        print("a run failed: no ratio")
        return 1
    report_s = statistics.median(r.usage.wall_s for r in runs["report"])
    compare_s = statistics.median(r.usage.wall_s for r in runs["compare"])
    ratio = compare_s / report_s
    loads = [r.load_avg for rs in runs.values() for r in rs]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"median wall: report {report_s:.2f} s, compare {compare_s:.2f} s; "
        f"ratio compare/report {ratio:.2f} (target <= {TARGET_RATIO:g}: {verdict})"
    )
    print(f"load average during the runs: {min(loads):.1f} to {max(loads):.1f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
