"""``surge report``: build the JMeter-style HTML dashboard from one or more results files."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from surge.errors import EXIT_OK, UsageError
from surge.report.options import (
    COMPAT_CHART_LABELS,
    DEFAULT_CHART_LABELS,
    ApdexRule,
    ReportOptions,
    parse_chart_labels,
)
from surge.units import parse_duration_s


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="build the HTML dashboard (JMeter's) from results files",
        description=(
            "Build JMeter's HTML dashboard from JTL results files (JMeter's or surge's): "
            "DIR/index.html, its chart pages and DIR/statistics.json. Works offline."
        ),
    )
    parser.add_argument("results", nargs="+", type=Path, metavar="RESULTS", help="JTL (CSV or XML) files")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument("--title", default=ReportOptions.title, help="report title")
    parser.add_argument(
        "--apdex-satisfied",
        type=int,
        default=ReportOptions.apdex_satisfied_ms,
        metavar="MS",
        help="APDEX satisfied threshold T in ms (default %(default)s)",
    )
    parser.add_argument(
        "--apdex-tolerated",
        type=int,
        default=ReportOptions.apdex_tolerated_ms,
        metavar="MS",
        help="APDEX tolerated threshold F in ms (default %(default)s)",
    )
    parser.add_argument(
        "--apdex-label",
        action="append",
        default=[],
        metavar="REGEX:T|F",
        help="per-label APDEX thresholds for labels fully matching REGEX (repeatable; first match wins)",
    )
    parser.add_argument(
        "--granularity",
        metavar="DURATION",
        help="time bucket of the over-time charts, e.g. 60s, 1m, 500ms (default: from the test duration; "
        "60s with --jmeter-compat)",
    )
    parser.add_argument(
        "--percentiles",
        default="90,95,99",
        metavar="P1,P2,P3",
        help="the three percentiles of the Statistics table and charts (default %(default)s)",
    )
    parser.add_argument(
        "--chart-labels",
        metavar="N",
        help=f"per-label charts draw the N labels with the most samples and one series for all the others "
        f"(default {DEFAULT_CHART_LABELS}, {COMPAT_CHART_LABELS} with --jmeter-compat; 'all': every label)",
    )
    parser.add_argument(
        "--metrics",
        type=Path,
        metavar="FILE",
        help="the metrics file of a monitored run (surge run --monitor), for the Server page (default: "
        "RESULTS.metrics.csv beside a single results file, when there is one)",
    )
    parser.add_argument("--include", metavar="REGEX", help="keep only labels fully matching REGEX")
    parser.add_argument("--exclude", metavar="REGEX", help="drop labels fully matching REGEX")
    parser.add_argument(
        "--start", metavar="TIME", help="keep samples starting at or after TIME (ISO date-time or epoch ms)"
    )
    parser.add_argument(
        "--end", metavar="TIME", help="keep samples starting at or before TIME (ISO date-time or epoch ms)"
    )
    add_time_reading_options(parser, "")
    parser.add_argument(
        "--jmeter-compat",
        action="store_true",
        help="JMeter's numbers, quirks included (windowed percentiles, JMeter's totals and buckets)",
    )
    parser.add_argument("--force", action="store_true", help="write into a non-empty output folder")
    parser.set_defaults(handler=run)


def add_time_reading_options(parser: argparse.ArgumentParser, which_files: str) -> None:
    """--timestamp, --timestamp-format and --tz: how a results file's times are read and shown.

    Declared here once for surge report and surge compare (``which_files``: " in every file" there).
    """
    parser.add_argument(
        "--timestamp",
        choices=("start", "end"),
        default="start",
        help=f"what the timeStamp column holds{which_files}: sample start (JMeter's default) or end",
    )
    parser.add_argument(
        "--timestamp-format",
        metavar="PATTERN",
        help="pattern of non-epoch timestamps (Java SimpleDateFormat, e.g. 'yyyy/MM/dd HH:mm:ss.SSS')",
    )
    parser.add_argument(
        "--tz",
        default=ReportOptions.timezone,
        metavar="ZONE",
        help="IANA time zone to show times in and to read zone-less dates (default %(default)s)",
    )


def parse_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name such as UTC or Europe/Paris)"
        ) from exc
    return name


def parse_time_ms(text: str, zone: str, option: str) -> int:
    """Epoch ms from ``1700000000000`` or an ISO date-time (zone-less ones are in ``zone``)."""
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(
            f"{option}: invalid time {text!r} (examples: 2024-10-04T14:46:00, 2024-10-04 14:46:00+02:00, "
            "1728045960000)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return round(moment.timestamp() * 1000)


def parse_percentiles(text: str) -> tuple[float, float, float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise UsageError(f"--percentiles: expected three numbers such as 90,95,99, got {text!r}") from exc
    if len(values) != 3:
        raise UsageError(f"--percentiles: expected exactly three numbers, got {len(values)}")
    for value in values:
        if not 0 < value <= 100:
            raise UsageError(f"--percentiles: {value:g} is not in (0, 100]")
    return (values[0], values[1], values[2])


def check_regex(pattern: str, option: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{option}: invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


def check_apdex(satisfied_ms: int, tolerated_ms: int, where: str) -> None:
    if satisfied_ms < 0 or tolerated_ms < 0:
        raise UsageError(f"{where}: APDEX thresholds must not be negative")
    if satisfied_ms > tolerated_ms:
        raise UsageError(
            f"{where}: satisfied threshold {satisfied_ms} ms is above tolerated threshold {tolerated_ms} ms"
        )


def parse_apdex_rule(text: str) -> ApdexRule:
    """``REGEX:T|F`` (JMeter's apdex_per_transaction entry); the regex may itself contain ':'."""
    pattern, sep, thresholds = text.rpartition(":")
    match = re.fullmatch(r"\s*(\d+)\s*\|\s*(\d+)\s*", thresholds)
    if not sep or not pattern or match is None:
        raise UsageError(f"--apdex-label: expected REGEX:T|F such as 'login.*:300|1200', got {text!r}")
    satisfied_ms, tolerated_ms = int(match.group(1)), int(match.group(2))
    check_regex(pattern, "--apdex-label")
    check_apdex(satisfied_ms, tolerated_ms, "--apdex-label")
    return ApdexRule(pattern=pattern, satisfied_ms=satisfied_ms, tolerated_ms=tolerated_ms)


def parse_granularity_ms(text: str) -> int:
    granularity_ms = round(parse_duration_s(text) * 1000)
    if granularity_ms < 1:
        raise UsageError(f"--granularity: {text!r} is below 1 ms")
    return granularity_ms


def options_from_args(args: argparse.Namespace) -> ReportOptions:
    """Validate the command line and turn it into ReportOptions."""
    zone = parse_zone(args.tz)
    check_apdex(args.apdex_satisfied, args.apdex_tolerated, "--apdex-satisfied/--apdex-tolerated")
    start_ms = parse_time_ms(args.start, zone, "--start") if args.start else None
    end_ms = parse_time_ms(args.end, zone, "--end") if args.end else None
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise UsageError("--start is after --end")
    return ReportOptions(
        title=args.title,
        jmeter_compat=args.jmeter_compat,
        apdex_satisfied_ms=args.apdex_satisfied,
        apdex_tolerated_ms=args.apdex_tolerated,
        apdex_rules=tuple(parse_apdex_rule(rule) for rule in args.apdex_label),
        granularity_ms=parse_granularity_ms(args.granularity) if args.granularity else None,
        percentiles=parse_percentiles(args.percentiles),
        include_labels=check_regex(args.include, "--include") if args.include else None,
        exclude_labels=check_regex(args.exclude, "--exclude") if args.exclude else None,
        start_ms=start_ms,
        end_ms=end_ms,
        timestamp_is_start=args.timestamp == "start",
        timestamp_format=args.timestamp_format,
        timezone=zone,
        source_names=tuple(p.name for p in args.results),
        chart_labels=parse_chart_labels(args.chart_labels) if args.chart_labels else None,
        metrics_path=_metrics_file(args.metrics),
    )


def _metrics_file(path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise UsageError(f"--metrics {path}: no such file")
    return path


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    # Imported here so that `surge --help` does not load DuckDB.
    from surge.report.build import build_report
    from surge.report.info import bad_rows_where

    result = build_report(args.results, args.output, options, force=args.force)
    load = result.load
    for warning in load.warnings:
        print(f"surge report: warning: {warning}", file=sys.stderr)
    if load.bad_rows:
        where = bad_rows_where(load)
        rows = "row" if load.bad_rows == 1 else "rows"
        print(
            f"surge report: skipped {load.bad_rows} bad {rows}" + (f" at {where}" if where else ""),
            file=sys.stderr,
        )
    print(f"surge report: {load.rows_loaded} samples; report written to {result.index_html.resolve()}")
    return EXIT_OK
