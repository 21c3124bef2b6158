"""``surge compare``: per-label changes between runs, their significance, and a regression gate for CI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surge.cli.report import add_time_reading_options, check_regex, parse_zone
from surge.errors import UsageError
from surge.report.options import ReportOptions, parse_chart_labels

DEFAULT_ALPHA = 0.05
DEFAULT_CHART_LABELS = 20


def register(subparsers: Any) -> None:
    from surge.compare.rules import DEFAULT_RULES  # light: no DuckDB

    defaults = " ".join(DEFAULT_RULES).replace("%", "%%")  # argparse formats help with %

    parser = subparsers.add_parser(
        "compare",
        help="compare runs: per-label changes, their significance, a regression gate",
        description=(
            "Compare results files (JMeter's or surge's), oldest first: the first is the baseline, the "
            "last the candidate; three or more also make a trend. Writes DIR/index.html and "
            "DIR/comparison.json. Exit 0: no regression, 3: a regression (a rule broken by a "
            "significant change), 2: bad input."
        ),
    )
    parser.add_argument("baseline", type=Path, metavar="BASELINE", help="results file of the reference run")
    parser.add_argument(
        "candidates", nargs="+", type=Path, metavar="CANDIDATE", help="the run to judge (the last one given)"
    )
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument(
        "--fail-if",
        action="append",
        default=[],
        metavar="RULE",
        help="regression rule, repeatable: [LABEL:]METRIC>+N%% or <-N%% (also pp for error_rate, ms for "
        f"times); metrics p50 p90 p95 p99 mean error_rate rps (default: {defaults})",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=DEFAULT_ALPHA,
        metavar="A",
        help="chance of a false regression in the whole comparison (default %(default)s)",
    )
    parser.add_argument(
        "--junit", type=Path, metavar="FILE", help="JUnit XML: one test case per rule and row"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="the whole comparison as JSON")
    parser.add_argument("--title", default="surge compare", help="page title")
    parser.add_argument(
        "--chart-labels",
        metavar="N",
        help="labels with charts besides the Total: the N with the most samples "
        f"(default {DEFAULT_CHART_LABELS}; 'all': every label)",
    )
    parser.add_argument("--include", metavar="REGEX", help="compare only labels fully matching REGEX")
    parser.add_argument("--exclude", metavar="REGEX", help="leave out labels fully matching REGEX")
    add_time_reading_options(parser, " in every file")
    parser.add_argument("--force", action="store_true", help="write into a non-empty output folder")
    parser.set_defaults(handler=run)


def _alpha(value: float) -> float:
    if not 0.0 < value < 0.5:
        raise UsageError(f"--alpha: expected a number between 0 and 0.5, got {value:g}")
    return value


def run(args: argparse.Namespace) -> int:
    # Imported here so that `surge --help` does not load DuckDB.
    from surge.compare.build import CompareOptions, compare_files, write_json, write_junit
    from surge.compare.rules import parse_rules
    from surge.report.info import bad_rows_where

    paths = [args.baseline, *args.candidates]
    zone = parse_zone(args.tz)
    reading = ReportOptions(
        include_labels=check_regex(args.include, "--include") if args.include else None,
        exclude_labels=check_regex(args.exclude, "--exclude") if args.exclude else None,
        timestamp_is_start=args.timestamp == "start",
        timestamp_format=args.timestamp_format,
        timezone=zone,
    )
    chart_labels = DEFAULT_CHART_LABELS
    if args.chart_labels:
        chart_labels = parse_chart_labels(args.chart_labels)
    options = CompareOptions(
        title=args.title,
        alpha=_alpha(args.alpha),
        rules=parse_rules(args.fail_if),
        default_rules=not args.fail_if,
        chart_labels=chart_labels or None,
        reading=reading,
    )
    result = compare_files(paths, args.output, options, force=args.force)
    for run in result.runs:
        for warning in run.load.warnings:
            print(f"surge compare: warning: {warning}", file=sys.stderr)
        if run.load.bad_rows:
            where = bad_rows_where(run.load)
            rows = "row" if run.load.bad_rows == 1 else "rows"
            print(
                f"surge compare: {run.name}: skipped {run.load.bad_rows} bad {rows}"
                + (f" at {where}" if where else ""),
                file=sys.stderr,
            )
    if args.json:
        write_json(args.json, result)
    if args.junit:
        write_junit(args.junit, result)
    gate = result.gate
    base, cand = result.runs[0], result.runs[-1]
    print(f"surge compare: {base.name} (baseline) -> {cand.name} (candidate), {len(gate.checks)} checks")
    for notice in gate.notices:
        print(f"  notice: {notice}")
    for check in gate.regressions:
        print(f"  {check.reason()}")
    verdict = "no regression" if gate.passed else f"{len(gate.regressions)} regression(s)"
    print(f"Verdict: {verdict}; page written to {result.index_html.resolve()}")
    return result.exit_code
