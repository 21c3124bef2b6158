"""Response Time Vs Request and Latencies Vs Request: median time per global request rate."""

from __future__ import annotations

from typing import Any

from surge.report.charts.context import ChartContext
from surge.report.charts.percentiles import (
    exact_percentile_sql,
    legacy_percentile_sql,
    sorted_list_sql,
    windowed_sorted_list_sql,
)
from surge.report.charts.result import Series, graph

# JMeter forces these graphs to 1-s buckets whatever the configured granularity (bug 60919): x is
# then a true requests-per-second figure.
VS_REQUEST_STEP_MS = 1000


def vs_request_graphs(ctx: ChartContext) -> dict[str, dict[str, Any]]:
    """Both graphs from one query: each non-TC sample gets x = the number of non-TC samples ending in
    its second; y = median elapsed (or latency) over every sample sharing that x, per status.

    Compat: the median is JMeter's windowed LEGACY estimator (last ``statistic_window`` samples per
    point in file order). Default: the exact median.
    """
    step = VS_REQUEST_STEP_MS
    scoped = (
        f"WITH s AS (SELECT end_ms - end_ms % {step} AS sec, success, elapsed_ms, latency_ms, row_id"
        " FROM samples WHERE in_label_filter AND NOT is_controller),"
        " c AS (SELECT sec, count(*) AS rps FROM s GROUP BY sec),"
        " j AS (SELECT c.rps AS x, s.success, s.elapsed_ms, s.latency_ms, s.row_id FROM s JOIN c USING (sec))"
    )
    if ctx.compat:
        window = int(ctx.options.statistic_window)
        biggest = ctx.rows(
            f"{scoped} SELECT coalesce(max(k), 0) FROM (SELECT count(*) AS k FROM j GROUP BY x, success)"
        )
        if int(biggest[0][0]) > window:
            el = windowed_sorted_list_sql("elapsed_ms", "row_id", window)
            lat = windowed_sorted_list_sql("latency_ms", "row_id", window)
        else:
            el, lat = sorted_list_sql("elapsed_ms"), sorted_list_sql("latency_ms")
        rows = ctx.rows(
            f"{scoped} SELECT x, success, {legacy_percentile_sql('el', 50.0)},"
            f" {legacy_percentile_sql('lat', 50.0)}"
            f" FROM (SELECT x, success, {el} AS el, {lat} AS lat FROM j GROUP BY x, success)"
        )
    else:
        rows = ctx.rows(
            f"{scoped} SELECT x, success, {exact_percentile_sql('elapsed_ms', 50.0)},"
            f" {exact_percentile_sql('latency_ms', 50.0)} FROM j GROUP BY x, success"
        )
    out: dict[str, dict[str, Any]] = {}
    for key, title, col in (
        ("responseTimeVsRequest", "Response Time Vs Request", 2),
        ("latenciesVsRequest", "Latencies Vs Request", 3),
    ):
        series = []
        for status, name in ((True, "Successes"), (False, "Failures")):
            pts = sorted([float(r[0]), float(r[col])] for r in rows if bool(r[1]) is status)
            if pts:
                series.append(Series(name, [[x, y] for x, y in pts]))
        out[key] = graph(title, series, compat=ctx.compat, supports_controllers=False, granularity_ms=step)
    return out
