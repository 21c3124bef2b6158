"""The APDEX table: (satisfied + tolerated / 2) / total per label, plus a Total row.

JMeter's definition: docs/jmeter-semantics.md#apdex.

Per label: every sample except empty transaction controllers, with the label's thresholds (the first
matching per-label rule, else the global ones); failures count as frustrated whatever their time.
Total: which samples and thresholds, ``semantics.apdex_total`` (see surge.report.tables.aggregate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from surge.report.options import ReportOptions
from surge.report.semantics import UndefinedValues
from surge.report.tables.aggregate import Agg
from surge.report.tables.java import jdiv

TITLES = ["Apdex", "T (Toleration threshold)", "F (Frustration threshold)", "Label"]


def apdex_value(agg: Agg, undefined: UndefinedValues) -> float | None:
    if undefined is UndefinedValues.JAVA:
        # ApdexSummaryConsumer.getApdex, in the same operation order.
        return jdiv(agg.apdex_satisfied + float(agg.apdex_tolerated) / 2, float(agg.apdex_count))
    if agg.apdex_count == 0:
        return None
    return (agg.apdex_satisfied + agg.apdex_tolerated / 2) / agg.apdex_count


def _row(agg: Agg, label: str, undefined: UndefinedValues) -> list[Any]:
    return [apdex_value(agg, undefined), agg.apdex_satisfied_ms, agg.apdex_tolerated_ms, label]


def apdex_table(rows: Sequence[Agg], total: Agg | None, options: ReportOptions) -> dict[str, Any]:
    """``rows`` in output order; labels with no non-empty sample have no APDEX row (as in JMeter)."""
    undefined = options.semantics.undefined_values
    table: dict[str, Any] = {"supportsControllersDiscrimination": True, "titles": list(TITLES)}
    if total is not None and total.apdex_count > 0:
        table["overall"] = {"isController": False, "data": _row(total, "Total", undefined)}
    table["items"] = [
        {"isController": agg.is_controller, "data": _row(agg, agg.label or "", undefined)}
        for agg in rows
        if agg.apdex_count > 0
    ]
    return table
