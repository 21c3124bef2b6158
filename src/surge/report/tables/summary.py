"""The Requests Summary pie and the test overview (start, end, counts, notes).

JMeter's definitions: docs/jmeter-semantics.md#requests-summary and #filters (start and end).
"""

from __future__ import annotations

from typing import Any

from surge.report.options import ReportOptions
from surge.report.semantics import UndefinedValues
from surge.report.tables.aggregate import FILTERED, Agg
from surge.report.tables.java import jdiv


def requests_summary(total: Agg | None, options: ReportOptions) -> dict[str, Any]:
    """FAIL/PASS shares of the non-TC samples after the label filter (the Statistics Total's samples)."""
    count = total.count if total is not None else 0
    errors = total.errors if total is not None else 0
    if options.semantics.undefined_values is UndefinedValues.JAVA:
        return {
            "KoPercent": jdiv(float(errors) * 100, float(count)),
            "OkPercent": jdiv(float(count - errors) * 100, float(count)),
        }
    if count == 0:  # nothing to show; 0/0 would be NaN
        return {"KoPercent": 0.0, "OkPercent": 0.0}
    return {"KoPercent": errors * 100 / count, "OkPercent": (count - errors) * 100 / count}


def compute_overview(con: Any, options: ReportOptions) -> dict[str, Any]:
    """Start/end of the test and sample counts.

    begin_ms/end_ms: first sample start and last sample end over every loaded sample (the date filter
    is already applied, the label filter is not: JMeter computes them between the two). None when
    nothing was loaded. duration_ms = end_ms - begin_ms.
    rows: loaded samples (TC rows included); controller_rows: of which transaction controllers.
    samples/errors: non-TC samples after the label filter (the Statistics Total); labels: distinct
    labels after the label filter. notes: why some table cells are empty, for the report to show.
    """
    row = con.execute(
        f"""SELECT min(start_ms), max(end_ms), count(*),
                   count(*) FILTER (WHERE is_controller),
                   count(*) FILTER (WHERE {FILTERED} AND NOT is_controller),
                   count(*) FILTER (WHERE {FILTERED} AND NOT is_controller AND NOT success),
                   count(DISTINCT label) FILTER (WHERE {FILTERED})
            FROM samples"""
    ).fetchone()
    begin_ms, end_ms, rows, controller_rows, samples, errors, labels = row
    duration_ms = None if begin_ms is None else int(end_ms) - int(begin_ms)
    notes: list[str] = []
    if options.semantics.undefined_values is UndefinedValues.EMPTY and rows and not duration_ms:
        notes.append(
            "Throughput and KB/sec are empty: all samples start and end at the same millisecond,"
            " so the test duration is 0 ms."
        )
    if samples == 0 and rows:
        notes.append("No sample is left after the label filter (transaction-controller rows do not count).")
    return {
        "begin_ms": None if begin_ms is None else int(begin_ms),
        "end_ms": None if end_ms is None else int(end_ms),
        "duration_ms": duration_ms,
        "rows": int(rows),
        "controller_rows": int(controller_rows),
        "samples": int(samples),
        "errors": int(errors),
        "labels": int(labels),
        "notes": notes,
    }
