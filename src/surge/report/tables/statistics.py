"""The Statistics table and its statistics.json form.

JMeter's definitions: docs/jmeter-semantics.md#statistics and #statisticsjson.
``UndefinedValues.JAVA`` reproduces JMeter's doubles exactly, including NaN/Infinity and the
Long.MAX/MIN placeholders of a row whose samples were all empty transaction controllers;
``UndefinedValues.EMPTY`` gives null where a value does not exist (see compute_overview's notes).
Rates are over each row's own span (``Throughput.ROW_SPAN``, JMeter) or over the test duration
(``Throughput.TEST_DURATION``, so rows add up to the Total).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from surge.report.options import ReportOptions
from surge.report.percentiles import percent_text
from surge.report.semantics import Throughput, UndefinedValues
from surge.report.tables.aggregate import Agg
from surge.report.tables.java import LONG_MAX, LONG_MIN, java_float, jdiv, long_sub

TOTAL = "Total"


def percentile_title(percent: float) -> str:
    """JMeter's header ``"%sth pct"`` with the property text (90 -> "90th pct", 99.9 -> "99.9th pct")."""
    return f"{percent_text(percent)}th pct"


def titles(options: ReportOptions) -> list[str]:
    return [
        "Label",
        "#Samples",
        "FAIL",
        "Error %",
        "Average",
        "Min",
        "Max",
        "Median",
        *(percentile_title(p) for p in options.percentiles),
        "Transactions/s",
        "Received",
        "Sent",
    ]


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def row_span_ms(agg: Agg) -> float:
    """The row's first start to last end, as JMeter's longs give it (no sample: Long.MIN - Long.MAX)."""
    first = agg.first_start_ms if agg.first_start_ms is not None else LONG_MAX
    last = agg.last_end_ms if agg.last_end_ms is not None else LONG_MIN
    return float(long_sub(last, first))


def jmeter_row(agg: Agg, label: str, duration_ms: float) -> list[Any]:
    """StatisticsSummaryConsumer.createDataResult, operation for operation (JMeter: ``row_span_ms``)."""
    count = agg.count
    return [
        label,
        count,
        agg.errors,
        jdiv(float(agg.errors) * 100, float(count)),
        jdiv(float(agg.sum_elapsed_ms), float(count)),
        agg.min_elapsed_ms if agg.min_elapsed_ms is not None else LONG_MAX,
        agg.max_elapsed_ms if agg.max_elapsed_ms is not None else LONG_MIN,
        *(_nan_if_none(p) for p in agg.percentiles_ms),
        jdiv(float(count), duration_ms) * 1000.0,
        jdiv(float(agg.bytes), duration_ms / 1000) / 1024,
        jdiv(float(agg.sent_bytes), duration_ms / 1000) / 1024,
    ]


def default_row(agg: Agg, label: str, duration_ms: int | None) -> list[Any]:
    """Exact values; rates over ``duration_ms``; None instead of NaN/Infinity."""
    count = agg.count
    duration_s = duration_ms / 1000 if duration_ms else None
    return [
        label,
        count,
        agg.errors,
        agg.errors * 100 / count if count else None,
        agg.sum_elapsed_ms / count if count else None,
        agg.min_elapsed_ms,
        agg.max_elapsed_ms,
        *(None if p is None else float(p) for p in agg.percentiles_ms),
        count / duration_s if duration_s else None,
        agg.bytes / duration_s / 1024 if duration_s else None,
        agg.sent_bytes / duration_s / 1024 if duration_s else None,
    ]


def statistics_table(
    rows: Sequence[Agg], total: Agg | None, options: ReportOptions, duration_ms: int | None
) -> dict[str, Any]:
    """``rows`` are already in output order; ``duration_ms`` is the test duration, when rates use it.

    Every row is listed: a row with no counted sample exists only for a label made of empty
    transaction controllers, and only with ``EmptyControllers.JMETER``.
    """
    semantics = options.semantics
    row_span = semantics.throughput is Throughput.ROW_SPAN

    def build(agg: Agg, label: str) -> list[Any]:
        if semantics.undefined_values is UndefinedValues.JAVA:
            return jmeter_row(agg, label, row_span_ms(agg) if row_span else float(duration_ms or 0))
        if row_span:
            span = (
                None
                if agg.first_start_ms is None or agg.last_end_ms is None
                else agg.last_end_ms - agg.first_start_ms
            )
            return default_row(agg, label, span)
        return default_row(agg, label, duration_ms)

    table: dict[str, Any] = {"supportsControllersDiscrimination": True, "titles": titles(options)}
    if total is not None:
        table["overall"] = {"isController": False, "data": build(total, TOTAL)}
    table["items"] = [
        {"isController": agg.is_controller, "data": build(agg, agg.label or "")} for agg in rows
    ]
    return table


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def statistics_json(tables: dict[str, Any]) -> dict[str, Any]:
    """JMeter's statistics.json (JsonExporter): one object per row keyed by label, "Total" included.

    Fields are in JMeter's order. With ``LabelRows.SPLIT`` a label used by both a transaction
    controller and a sampler has two rows; the controller's is keyed "<label> (transaction controller)".
    errorPct goes through a Java float as in JMeter (so 39.56043956... becomes 39.56044).
    NaN/Infinity (``UndefinedValues.JAVA`` only) stay Python floats; write them the way Jackson does
    (as the strings "NaN"/"Infinity") or as null.
    """
    stats = tables["statisticsTable"]
    rows = [stats["overall"]] if "overall" in stats else []
    rows += stats["items"]
    result: dict[str, Any] = {}
    for row in rows:
        # a Statistics table row, in its column order (JMeter's JSON has the median before min/max)
        label, count, errors, error_pct, mean, low, high, median, pct1, pct2, pct3, rate, received, sent = (
            row["data"]
        )
        entry = {
            "transaction": label,
            "sampleCount": count,
            "errorCount": errors,
            "errorPct": None if error_pct is None else java_float(error_pct),
            "meanResTime": _as_float(mean),
            "medianResTime": _as_float(median),
            "minResTime": _as_float(low),
            "maxResTime": _as_float(high),
            "pct1ResTime": _as_float(pct1),
            "pct2ResTime": _as_float(pct2),
            "pct3ResTime": _as_float(pct3),
            "throughput": _as_float(rate),
            "receivedKBytesPerSec": _as_float(received),
            "sentKBytesPerSec": _as_float(sent),
        }
        key = entry["transaction"]
        if row is not stats.get("overall") and key in result and row["isController"]:
            # LabelRows.SPLIT: a label used by both a TC and a sampler has two rows; keep both
            key = f"{key} (transaction controller)"
            entry["transaction"] = key
        result[key] = entry
    return result
