"""The dashboard tables of ``surge report``: APDEX, Requests Summary, Statistics, Errors, Top 5 errors.

``compute_tables`` returns them in the shape JMeter inlines in dashboard.js
(``{supportsControllersDiscrimination, titles, overall?, items: [{isController, data}]}``, and
``{KoPercent, OkPercent}`` for the Requests Summary); ``statistics_json`` turns them into JMeter's
statistics.json; ``compute_overview`` gives start/end and counts. All read the DuckDB table
``samples`` (see surge.report.load). What JMeter computes for each table is described in
docs/jmeter-semantics.md; where the default mode departs from it, and why, in
docs/report-differences.md (the fields of ``options.semantics``).
"""

from __future__ import annotations

from typing import Any

from surge.report.options import ReportOptions
from surge.report.semantics import RowOrder, Throughput
from surge.report.tables import aggregate
from surge.report.tables.apdex import apdex_table
from surge.report.tables.errors import error_groups, errors_table, top5_table
from surge.report.tables.java import hashmap_order
from surge.report.tables.statistics import statistics_json, statistics_table
from surge.report.tables.summary import compute_overview, requests_summary

__all__ = ["compute_overview", "compute_tables", "statistics_json"]


def compute_tables(con: Any, options: ReportOptions) -> dict[str, Any]:
    """All five dashboard tables, keyed as in JMeter's dashboard.js."""
    with aggregate.histogram(con):
        rows = aggregate.per_label(con, options)
        total = aggregate.overall(con, options)
    semantics = options.semantics
    if semantics.row_order is RowOrder.HASHMAP:
        # JMeter keys its summary maps by label, inserted in order of first appearance.
        position = {label: i for i, label in enumerate(hashmap_order([a.label or "" for a in rows]))}
        rows.sort(key=lambda a: position[a.label or ""])
    else:
        rows.sort(key=lambda a: (a.label or "", a.is_controller))
    duration_ms = None
    if semantics.throughput is Throughput.TEST_DURATION:
        begin_ms, end_ms = con.execute("SELECT min(start_ms), max(end_ms) FROM samples").fetchone()
        duration_ms = None if begin_ms is None else int(end_ms) - int(begin_ms)
    groups = error_groups(con, options)
    return {
        "requestsSummary": requests_summary(total, options),
        "apdexTable": apdex_table(rows, total, options),
        "statisticsTable": statistics_table(rows, total, options, duration_ms),
        "errorsTable": errors_table(groups, total.count if total is not None else 0, options),
        "top5ErrorsBySamplerTable": top5_table(groups, rows, total, options),
    }
