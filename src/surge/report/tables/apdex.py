"""The APDEX table (spec §2.2): (satisfied + tolerated / 2) / total per label, plus a Total row.

Per label: every sample except empty transaction controllers, with the label's thresholds (the first
matching per-label rule, else the global ones); failures count as frustrated whatever their time.
Total: JMeter counts every non-empty sample, TCs included, with the global thresholds; the default
mode counts the same samples as the Statistics Total (no TCs), each with its own label's thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from surge.report.options import ReportOptions
from surge.report.tables.aggregate import Agg
from surge.report.tables.java import jdiv

TITLES = ["Apdex", "T (Toleration threshold)", "F (Frustration threshold)", "Label"]


def apdex_value(agg: Agg, jmeter_compat: bool) -> float | None:
    if jmeter_compat:
        # ApdexSummaryConsumer.getApdex, in the same operation order.
        return jdiv(agg.apdex_satisfied + float(agg.apdex_tolerated) / 2, float(agg.apdex_count))
    if agg.apdex_count == 0:
        return None
    return (agg.apdex_satisfied + agg.apdex_tolerated / 2) / agg.apdex_count


def _row(agg: Agg, label: str, jmeter_compat: bool) -> list[Any]:
    return [apdex_value(agg, jmeter_compat), agg.apdex_satisfied_ms, agg.apdex_tolerated_ms, label]


def apdex_table(rows: Sequence[Agg], total: Agg | None, options: ReportOptions) -> dict[str, Any]:
    """``rows`` in output order; labels with no non-empty sample have no APDEX row (as in JMeter)."""
    compat = options.jmeter_compat
    table: dict[str, Any] = {"supportsControllersDiscrimination": True, "titles": list(TITLES)}
    if total is not None and total.apdex_count > 0:
        table["overall"] = {"isController": False, "data": _row(total, "Total", compat)}
    table["items"] = [
        {"isController": agg.is_controller, "data": _row(agg, agg.label or "", compat)}
        for agg in rows
        if agg.apdex_count > 0
    ]
    return table
