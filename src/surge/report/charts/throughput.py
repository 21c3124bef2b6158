"""Throughput page: hits, response codes, transactions (per label and total) per second."""

from __future__ import annotations

from typing import Any

from surge.report.charts.context import (
    LABEL_BUCKETS,
    ChartContext,
    as_points,
    fill_range,
    group_points,
    series_order,
)
from surge.report.charts.result import Series
from surge.report.semantics import EmptyBuckets, EmptyControllers, SeriesCreation, TotalTps

_STATUS = {True: "-success", False: "-failure"}


def _rate(count_sql: str, step_ms: int) -> str:
    # JMeter's TimeRateAggregator: Σvalue × 1000 / granularity, in doubles, in this order.
    return f"CAST({count_sql} AS DOUBLE) * 1000 / {int(step_ms)}"


def hits_per_second(ctx: ChartContext) -> dict[str, Any]:
    """Non-TC samples per second, bucketed on *start* time (requests sent, not responses)."""
    rows = ctx.rows(
        f"SELECT ts, {_rate('sum(n)', ctx.step_ms)} FROM {LABEL_BUCKETS} WHERE NOT ctrl GROUP BY ts"
    )
    values = {int(t): float(y) for t, y in rows}
    fill = None
    if ctx.semantics.empty_buckets is EmptyBuckets.FILLED and values:
        # start-time buckets: filled over their own range, not the end-time one
        fill = fill_range(min(values), max(values), ctx.step_ms)
    always = ctx.semantics.series_creation is SeriesCreation.BY_CONTENT
    series = [Series("hitsPerSecond", as_points(values, fill, 0.0))] if values or always else []
    return ctx.time_graph("Hits Per Second", series, supports_controllers=False)


def codes_per_second(ctx: ChartContext) -> dict[str, Any]:
    """Non-TC responses per second per response code (blank code → ``EMPTY_RES_CODE``)."""
    code = "CASE WHEN code = '' THEN 'EMPTY_RES_CODE' ELSE code END"
    coded = f"SELECT {code} AS c, t, n FROM {LABEL_BUCKETS} WHERE NOT ctrl"
    folding = ctx.folded_values("c", f"SELECT c, sum(n) FROM ({coded}) GROUP BY c")
    values = group_points(
        ((bool(other), c), t, y)
        for other, c, t, y in ctx.rows(
            f"SELECT {folding.columns}, t, {_rate('sum(n)', ctx.step_ms)} FROM ({coded}) GROUP BY ALL",
            folding.params,
        )
    )
    fill = ctx.end_buckets()
    series = [
        Series(
            f"Other codes ({folding.folded:,})" if other else str(c),
            as_points(values[(other, c)], fill, 0.0),
            is_other=other,
        )
        for other, c in sorted(values, key=lambda k: (k[0], str(k[1])))
    ]
    return ctx.time_graph("Codes Per Second", series, supports_controllers=False, folded=folding.counts)


def transactions_per_second(ctx: ChartContext) -> dict[str, Any]:
    """Per label and status (``<label>-success`` / ``<label>-failure``), TCs under their own labels.

    JMeter counts an empty TC as 0 but still creates its bucket (a 0 point);
    ``EmptyControllers.IGNORED`` ignores empty TCs entirely.
    """
    where = "" if ctx.semantics.empty_controllers is EmptyControllers.JMETER else "WHERE NOT empty"
    rows = ctx.rows(
        f"SELECT fold, skey, success, t, {_rate('sum(CASE WHEN empty THEN 0 ELSE n END)', ctx.step_ms)}"
        f" FROM {LABEL_BUCKETS} {where} GROUP BY fold, skey, success, t"
    )
    values = group_points((((int(fold), key), bool(ok)), t, y) for fold, key, ok, t, y in rows)
    # isController comes from the series' first sample in file order
    first = ctx.rows(
        f"SELECT fold, skey, success, arg_min(ctrl, first_row) FROM {LABEL_BUCKETS} {where}"
        " GROUP BY fold, skey, success"
    )
    flags = {((int(fold), key), bool(ok)): bool(f) for fold, key, ok, f in first}
    fill = ctx.end_buckets()
    series = [
        ctx.series(key, as_points(values[(key, ok)], fill, 0.0), flags[(key, ok)], _STATUS[ok])
        for key, ok in sorted(values, key=lambda k: (series_order(k[0]), _STATUS[k[1]]))
    ]
    return ctx.time_graph(
        "Transactions Per Second", series, supports_controllers=True, folded=ctx.label_folded()
    )


def total_tps(ctx: ChartContext) -> dict[str, Any]:
    """All transactions per second, split by status.

    ``TotalTps.EVERY_SAMPLE`` (JMeter) counts TC samples too, so a request inside a TC is counted
    twice (once as itself, once in its TC); ``TotalTps.REQUESTS`` counts only non-TC samples (each
    request once). Empty TCs are TC samples: they count (as 0, creating their bucket) only with
    ``TotalTps.EVERY_SAMPLE`` and ``EmptyControllers.JMETER``.
    """
    if ctx.semantics.total_tps is TotalTps.REQUESTS:
        where = "WHERE NOT ctrl"
    elif ctx.semantics.empty_controllers is EmptyControllers.IGNORED:
        where = "WHERE NOT empty"
    else:
        where = ""
    rows = ctx.rows(
        f"SELECT success, t, {_rate('sum(CASE WHEN empty THEN 0 ELSE n END)', ctx.step_ms)}"
        f" FROM {LABEL_BUCKETS} {where} GROUP BY success, t"
    )
    values = group_points(rows)
    fill = ctx.end_buckets()
    series = [
        Series("Transaction-success", as_points(values.get(True, {}), fill, 0.0)),
        Series("Transaction-failure", as_points(values.get(False, {}), fill, 0.0)),
    ]
    return ctx.time_graph("Total Transactions Per Second", series, supports_controllers=True)
