"""The "Test and Report information" rows: sources, time range, filters, settings, skipped rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from surge.report.load import LoadResult
from surge.report.options import ReportOptions
from surge.report.render import InfoRow

_MAX_LINES_SHOWN = 10


def format_time_ms(epoch_ms: float, zone_name: str) -> str:
    """``2024-10-04 14:46:30 CEST``: the display time zone's wall-clock time, to the second."""
    moment = datetime.fromtimestamp(epoch_ms / 1000.0, tz=UTC).astimezone(ZoneInfo(zone_name))
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def format_span_ms(duration_ms: float) -> str:
    """``1 h 02 min 05 s``; under a second, ``850 ms``."""
    if duration_ms < 1000:
        return f"{duration_ms:.0f} ms"
    total_s = round(duration_ms / 1000.0)
    days, rest = divmod(total_s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if days or hours:
        parts.append(f"{hours:02d} h" if parts else f"{hours} h")
    if days or hours or minutes:
        parts.append(f"{minutes:02d} min" if parts else f"{minutes} min")
    parts.append(f"{seconds:02d} s" if parts else f"{seconds} s")
    return " ".join(parts)


def _granularity_ms(graphs: Mapping[str, Any]) -> int | None:
    graph = graphs.get("responseTimesOverTime") or graphs.get("hitsPerSecond")
    if not graph:
        return None
    value = graph.get("result", {}).get("granularity")
    return int(value) if value else None


def _folded_labels(graphs: Mapping[str, Any]) -> tuple[int, int] | None:
    """(drawn, folded) labels of the per-label charts, when some labels are folded."""
    result = graphs.get("responseTimesOverTime", {}).get("result", {})
    if not result.get("foldedCount"):
        return None
    return int(result.get("drawnCount") or 0), int(result["foldedCount"])


def bad_rows_where(load: LoadResult) -> str:
    """``lines 4, 19–21, …``: where the first skipped rows are, runs of lines joined ('' if unknown).

    With several input files each line number is prefixed by its file name (``a.jtl:4``).
    """
    several = len(load.sources) > 1
    if load.bad_row_spans:
        spans = load.bad_row_spans[:_MAX_LINES_SHOWN]
        where = [
            (f"{Path(name).name}:" if several else "") + (str(first) if first == last else f"{first}–{last}")
            for name, first, last in spans
        ]
        shown = sum(last - first + 1 for _, first, last in spans)
    elif several and load.bad_row_locations:
        where = [f"{Path(name).name}:{line}" for name, line in load.bad_row_locations[:_MAX_LINES_SHOWN]]
        shown = len(where)
    else:
        where = [str(line) for line in load.bad_row_lines[:_MAX_LINES_SHOWN]]
        shown = len(where)
    if not where:
        return ""
    more = ", …" if load.bad_rows > shown else ""
    return f"line{'s' if shown > 1 else ''} {', '.join(where)}{more}"


def bad_rows_text(load: LoadResult) -> str:
    """``0``, or ``3 (lines 4, 19, 250)``: the count and the first places of skipped rows."""
    where = bad_rows_where(load)
    return f"{load.bad_rows} ({where})" if where else str(load.bad_rows)


def info_rows(
    load: LoadResult, overview: Mapping[str, Any], graphs: Mapping[str, Any], options: ReportOptions
) -> list[InfoRow]:
    """The rows of the dashboard's information table, in display order."""
    zone = options.timezone
    sources = options.source_names or tuple(Path(s).name for s in load.sources)
    rows = [InfoRow("Source file" + ("s" if len(sources) > 1 else ""), ", ".join(sources))]
    begin_ms = overview.get("begin_ms")
    end_ms = overview.get("end_ms")
    if begin_ms is not None and end_ms is not None:
        rows.append(InfoRow("Start Time", format_time_ms(begin_ms, zone)))
        rows.append(InfoRow("End Time", format_time_ms(end_ms, zone)))
        rows.append(InfoRow("Duration", format_span_ms(max(0.0, float(end_ms) - float(begin_ms)))))
    read = f"{load.rows_loaded:,}"
    controller_rows = overview.get("controller_rows")
    if controller_rows:
        read += f" (of which {controller_rows:,} transaction-controller rows)"
    rows.append(InfoRow("Samples read", read))
    samples, errors = overview.get("samples"), overview.get("errors")
    if samples is not None:
        failed = f", {errors:,} failed" if errors is not None else ""
        rows.append(InfoRow("Requests (after filters, controllers apart)", f"{samples:,}{failed}"))
    if overview.get("labels") is not None:
        rows.append(InfoRow("Labels", f"{overview['labels']:,}"))
    rows.append(InfoRow("Bad rows skipped", bad_rows_text(load)))
    if options.include_labels:
        rows.append(InfoRow("Filter for computing (include labels)", options.include_labels))
    if options.exclude_labels:
        rows.append(InfoRow("Filter for computing (exclude labels)", options.exclude_labels))
    if options.start_ms is not None or options.end_ms is not None:
        start = format_time_ms(options.start_ms, zone) if options.start_ms is not None else "first sample"
        end = format_time_ms(options.end_ms, zone) if options.end_ms is not None else "last sample"
        rows.append(InfoRow("Time window (sample start)", f"{start} to {end}"))
    rows.append(InfoRow("Mode", options.semantics.describe()))
    apdex = f"T = {options.apdex_satisfied_ms} ms, F = {options.apdex_tolerated_ms} ms"
    if options.apdex_rules:
        count = len(options.apdex_rules)
        apdex += f", {count} per-label rule" + ("s" if count > 1 else "")
    rows.append(InfoRow("APDEX thresholds", apdex))
    folded = _folded_labels(graphs)
    if folded is not None:
        drawn, others = folded
        rows.append(
            InfoRow(
                "Labels in per-label charts",
                f"the {drawn:,} with the most samples one by one, the other {others:,} as one series",
            )
        )
    granularity = _granularity_ms(graphs)
    if granularity:
        rows.append(InfoRow("Over-time granularity", format_span_ms(granularity)))
    timestamps = "sample start" if options.timestamp_is_start else "sample end (start = ts - elapsed)"
    rows.append(InfoRow("Timestamps", timestamps))
    rows.append(InfoRow("Time zone", zone))
    return rows
