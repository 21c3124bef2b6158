"""Response Time Vs Request and Latencies Vs Request: median time per global request rate."""

from __future__ import annotations

from typing import Any

from surge.report.charts.context import ChartContext
from surge.report.charts.percentiles import histogram_percentiles_sql, legacy_percentile_sql
from surge.report.charts.result import Series, graph

# JMeter forces these graphs to 1-s buckets whatever the configured granularity (bug 60919): x is
# then a true requests-per-second figure.
VS_REQUEST_STEP_MS = 1000


def vs_request_graphs(ctx: ChartContext) -> dict[str, dict[str, Any]]:
    """Both graphs from one pass: each non-TC sample gets x = the number of non-TC samples ending in
    its second; y = median elapsed (or latency) over every sample sharing that x, per status.

    Compat: the median is JMeter's windowed LEGACY estimator (last ``statistic_window`` samples per
    point in file order). Default: the exact median. Both read (x, status, value) histograms unless
    a point overflows JMeter's window.
    """
    step = VS_REQUEST_STEP_MS
    con = ctx.con
    joined = (
        f"WITH s AS (SELECT end_ms - end_ms % {step} AS sec, success, elapsed_ms, latency_ms, row_id"
        " FROM samples WHERE in_label_filter AND NOT is_controller),"
        " c AS (SELECT sec, count(*) AS rps FROM s GROUP BY sec),"
        " j AS (SELECT c.rps AS x, s.success, s.elapsed_ms, s.latency_ms, s.row_id FROM s JOIN c USING (sec))"
    )
    values: dict[str, list[tuple[Any, ...]]] = {}
    # A point (x, status) holds at most x × (seconds with x responses) samples: if that stays within
    # JMeter's window no point is windowed, and the histograms give the same LEGACY medians.
    bound = ctx.rows(
        f"SELECT coalesce(max(x * k), 0) FROM (SELECT rps AS x, count(*) AS k FROM"
        f" (SELECT count(*) AS rps FROM samples WHERE in_label_filter AND NOT is_controller"
        f" GROUP BY end_ms - end_ms % {step}) GROUP BY rps)"
    )
    if ctx.compat and int(bound[0][0]) > ctx.options.statistic_window:
        window = int(ctx.options.statistic_window)
        # one bounded heap of (elapsed, latency) pairs per point, both taken from the same rows
        pairs = f"arg_max({{'e': elapsed_ms, 'l': latency_ms}}, row_id, {window})"
        el = "list_sort([q.e FOR q IN w])"
        lat = "list_sort([q.l FOR q IN w])"
        rows = ctx.rows(
            f"{joined} SELECT x, success, {legacy_percentile_sql(el, 50.0)},"
            f" {legacy_percentile_sql(lat, 50.0)}"
            f" FROM (SELECT x, success, {pairs} AS w FROM j GROUP BY x, success)"
        )
        values["elapsed"] = [(r[0], r[1], r[2]) for r in rows]
        values["latency"] = [(r[0], r[1], r[3]) for r in rows]
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE surge_chart_vs AS {joined}"
            " SELECT x, success, elapsed_ms, latency_ms, GROUPING(elapsed_ms) AS is_latency, count(*) AS cnt"
            " FROM j GROUP BY GROUPING SETS ((x, success, elapsed_ms), (x, success, latency_ms))"
        )
        try:
            for name, flag, column in (("elapsed", 0, "elapsed_ms"), ("latency", 1, "latency_ms")):
                hist = f"SELECT x, success, {column} AS v, cnt FROM surge_chart_vs WHERE is_latency = {flag}"
                query = histogram_percentiles_sql(hist, ["x", "success"], [50.0], legacy=ctx.compat)
                values[name] = [(r[0], r[1], r[5]) for r in ctx.rows(query)]
        finally:
            con.execute("DROP TABLE IF EXISTS surge_chart_vs")
    out: dict[str, dict[str, Any]] = {}
    for key, title, name in (
        ("responseTimeVsRequest", "Response Time Vs Request", "elapsed"),
        ("latenciesVsRequest", "Latencies Vs Request", "latency"),
    ):
        series = []
        for status, label in ((True, "Successes"), (False, "Failures")):
            pts = sorted((float(x), float(y)) for x, ok, y in values[name] if bool(ok) is status)
            if pts:
                series.append(Series(label, [[x, y] for x, y in pts]))
        out[key] = graph(title, series, compat=ctx.compat, supports_controllers=False, granularity_ms=step)
    return out
