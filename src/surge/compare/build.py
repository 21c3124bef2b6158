"""Compare runs end to end: load each results file, measure, compare, judge, write the page and files.

Runs are given oldest first: the first is the baseline, the last the candidate the gate judges; with
three or more, every run appears in the trend. Everything is computed before anything is written;
the page is built in a temporary folder and moved into place (surge.report.staging), as a report is.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from surge.compare.diff import Comparison, compare_runs
from surge.compare.gate import GateResult, judge
from surge.compare.measure import TOTAL_KEY, RowKey, RunStats, measure_run
from surge.compare.outputs import document, exit_code, json_text, junit_text
from surge.compare.rules import DEFAULT_RULES, Rule, parse_rules
from surge.compare.series import RunSeries, run_series
from surge.compare.trend import TrendRow, trend_rows
from surge.errors import SurgeError, UsageError
from surge.report.build import MEMORY_LIMIT, check_out_dir
from surge.report.charts.buckets import choose_granularity_ms
from surge.report.info import bad_rows_text
from surge.report.load import FileClock, LoadResult, load_samples
from surge.report.load_direct import first_line
from surge.report.options import ReportOptions
from surge.report.staging import publish, staged

# Over-time charts of a comparison carry at most this many buckets per run.
MAX_BUCKETS = 200
DEFAULT_CHART_LABELS = 20


@dataclass(frozen=True)
class CompareOptions:
    title: str = "surge compare"
    alpha: float = 0.05
    rules: tuple[Rule, ...] = field(default_factory=lambda: parse_rules(()))
    default_rules: bool = True
    # labels charted one by one besides the Total (those with the most samples); None: all
    chart_labels: int | None = DEFAULT_CHART_LABELS
    # how files are read: time zone, timestamp kind and format, label filters (the loader's options)
    reading: ReportOptions = field(default_factory=ReportOptions)


@dataclass(frozen=True)
class Run:
    name: str
    path: Path
    load: LoadResult
    stats: RunStats


@dataclass(frozen=True)
class CompareResult:
    runs: list[Run]
    comparison: Comparison
    gate: GateResult
    trend: list[TrendRow] | None
    series: tuple[RunSeries, RunSeries]
    charted: list[RowKey]
    document: dict[str, Any]
    document_text: str  # comparison.json's text
    index_html: Path
    exit_code: int
    duration_s: float


def run_names(paths: Sequence[Path]) -> list[str]:
    """Short names: the file names, or the paths when two runs share a file name."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    return [str(p) for p in paths]


def _check_inputs(paths: Sequence[Path]) -> None:
    if len(paths) < 2:
        raise UsageError("compare needs at least two results files: BASELINE CANDIDATE [more runs ...]")
    for path in paths:
        if not path.exists():
            raise UsageError(f"results file not found: {path}")
        if not path.is_file():
            raise UsageError(f"results path is not a file: {path}")


def _describe(clock: FileClock) -> str:
    return clock.kind + (f" at {clock.zone}" if clock.zone else "")


def check_clocks(runs: Sequence[tuple[str, LoadResult]]) -> None:
    """Refuse runs whose timestamps are of different kinds or in different time zones (one line)."""
    clocks = [(name, load.clocks[0]) for name, load in runs if load.clocks]
    if not clocks:
        return
    first_name, first = clocks[0]
    for name, clock in clocks[1:]:
        if clock.kind != first.kind:
            raise UsageError(
                f"runs have different kinds of timestamps: {first_name} has {first.kind}, {name} has "
                f"{clock.kind} (write both the same way, or compare runs recorded alike)"
            )
        if clock.zone != first.zone:
            raise UsageError(
                f"runs have timestamps in different time zones: {first_name} {_describe(first)}, "
                f"{name} {_describe(clock)}"
            )


def _load(con: Any, path: Path, index: int, reading: ReportOptions) -> LoadResult:
    load = load_samples(con, [path], reading)
    con.execute(f"ALTER TABLE samples RENAME TO run_{index}")
    return load


def charted_keys(comparison: Comparison, limit: int | None) -> list[RowKey]:
    """The Total, then the rows both runs have with the most samples (in both together)."""
    rows = [r for r in comparison.rows if not r.is_total]
    rows.sort(key=lambda r: (-(r.base.count + r.cand.count), r.name))
    if limit is not None:
        rows = rows[:limit]
    return [TOTAL_KEY, *(r.key for r in rows)]


def _run_entry(run: Run, role: str) -> dict[str, Any]:
    return {
        "name": run.name,
        "path": str(run.path),
        "role": role,
        "start_ms": run.stats.start_ms,
        "end_ms": run.stats.end_ms,
        "duration_s": run.stats.duration_ms / 1000.0,
        "samples_read": run.load.rows_loaded,
        "bad_rows": run.load.bad_rows,
        "bad_rows_text": bad_rows_text(run.load),
        "warnings": list(run.load.warnings),
    }


def _role(index: int, count: int) -> str:
    if index == 0:
        return "baseline"
    return "candidate" if index == count - 1 else "between"


def compare_files(
    paths: Sequence[Path], out_dir: Path, options: CompareOptions, force: bool = False
) -> CompareResult:
    """Read, compare and write (see the module docstring). Raises UsageError for bad input."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    out_dir = Path(out_dir)
    _check_inputs(paths)
    check_out_dir(out_dir, force)
    names = run_names(paths)
    with tempfile.TemporaryDirectory(prefix="surge-compare-") as temp_dir:
        con = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "temp_directory": temp_dir})
        try:
            loads = [_load(con, path, i, options.reading) for i, path in enumerate(paths)]
            check_clocks(list(zip(names, loads, strict=True)))
            stats = [measure_run(con, f"run_{i}") for i in range(len(paths))]
            runs = [Run(n, p, ld, s) for n, p, ld, s in zip(names, paths, loads, stats, strict=True)]
            base, cand = runs[0], runs[-1]
            comparison = compare_runs(base.stats, cand.stats, options.alpha)
            if not any(not r.is_total for r in comparison.rows):
                raise UsageError(
                    f"no label in common: {base.name} has {_labels(base.stats)}, "
                    f"{cand.name} has {_labels(cand.stats)}"
                )
            gate = judge(comparison, options.rules, options.alpha)
            charted = charted_keys(comparison, options.chart_labels)
            longest_ms = max(base.stats.duration_ms, cand.stats.duration_ms)
            step_ms = choose_granularity_ms(longest_ms, MAX_BUCKETS)
            series = (
                run_series(con, "run_0", charted, base.stats.start_ms, step_ms),
                run_series(con, f"run_{len(runs) - 1}", charted, cand.stats.start_ms, step_ms),
            )
        except duckdb.Error as exc:
            raise SurgeError(f"compare query failed: {first_line(exc)}") from exc
        finally:
            con.close()
    trend = trend_rows([r.stats for r in runs]) if len(runs) >= 3 else None
    doc = document(
        [_run_entry(run, _role(i, len(runs))) for i, run in enumerate(runs)],
        comparison,
        gate,
        trend,
        options.default_rules,
    )
    # Imported here: the page's modules (Jinja2) are only needed once there is something to show.
    from surge.compare.page import PageContent, render_page

    content = PageContent(
        title=options.title,
        runs=runs,
        comparison=comparison,
        gate=gate,
        trend=trend,
        series=series,
        charted=charted,
        timezone=options.reading.timezone,
        default_rules=options.default_rules,
    )
    text = json_text(doc)
    with staged(out_dir) as stage:
        try:
            (stage / "comparison.json").write_text(text, encoding="utf-8")
            index = render_page(stage, content)
        except OSError as exc:
            raise SurgeError(f"cannot write the comparison into {out_dir}: {exc.strerror or exc}") from exc
        publish(stage, out_dir)
    return CompareResult(
        runs=runs,
        comparison=comparison,
        gate=gate,
        trend=trend,
        series=series,
        charted=charted,
        document=doc,
        document_text=text,
        index_html=out_dir / index.relative_to(stage),
        exit_code=exit_code(gate),
        duration_s=time.perf_counter() - started,
    )


def _labels(run: RunStats) -> str:
    labels = sorted({key[0] for key in run.rows if key[0] is not None})
    shown = ", ".join(repr(label) for label in labels[:3])
    more = f" and {len(labels) - 3:,} more" if len(labels) > 3 else ""
    return (shown + more) if labels else "none"


def write_junit(path: Path, result: CompareResult) -> None:
    _write(path, junit_text(result.gate, result.duration_s), "--junit")


def write_json(path: Path, result: CompareResult) -> None:
    _write(path, result.document_text.encode("utf-8"), "--json")


def _write(path: Path, data: bytes, option: str) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path}: {exc.strerror or exc}") from exc


__all__ = ["DEFAULT_RULES", "CompareOptions", "CompareResult", "compare_files", "write_json", "write_junit"]
