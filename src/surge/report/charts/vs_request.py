"""Response Time Vs Request and Latencies Vs Request: median time per global request rate."""

from __future__ import annotations

from typing import Any

from surge.report.charts.context import ChartContext
from surge.report.charts.result import Series, graph
from surge.report.percentiles import histogram_percentiles_sql, last_rows
from surge.report.semantics import Percentiles

# JMeter forces these graphs to 1-s buckets whatever the configured granularity (bug 60919): x is
# then a true requests-per-second figure.
VS_REQUEST_STEP_MS = 1000
KEYS = ("x", "success")  # a point: requests per second and status
COLUMNS = (("elapsed", "elapsed_ms"), ("latency", "latency_ms"))


def vs_request_graphs(ctx: ChartContext) -> dict[str, dict[str, Any]]:
    """Both graphs from one pass: each non-TC sample gets x = the number of non-TC samples ending in
    its second; y = median elapsed (or latency) over every sample sharing that x, per status.

    ``Percentiles.WINDOWED``: the median is JMeter's windowed LEGACY estimator (last
    ``statistic_window`` samples per point in file order). ``Percentiles.EXACT``: the exact median.
    Both read (x, status, value) histograms, recounted from its window for a point that overflows it.
    """
    step = VS_REQUEST_STEP_MS
    con = ctx.con
    joined = (
        f"WITH s AS (SELECT end_ms - end_ms % {step} AS sec, success, elapsed_ms, latency_ms, row_id"
        " FROM samples WHERE in_label_filter AND NOT is_controller),"
        " c AS (SELECT sec, count(*) AS rps FROM s GROUP BY sec),"
        " j AS (SELECT c.rps AS x, s.success, s.elapsed_ms, s.latency_ms, s.row_id FROM s JOIN c USING (sec))"
    )
    # A point (x, status) holds at most x × (seconds with x responses) samples: if that stays within
    # JMeter's window no point is windowed.
    bound = ctx.rows(
        f"SELECT coalesce(max(x * k), 0) FROM (SELECT rps AS x, count(*) AS k FROM"
        f" (SELECT count(*) AS rps FROM samples WHERE in_label_filter AND NOT is_controller"
        f" GROUP BY end_ms - end_ms % {step}) GROUP BY rps)"
    )
    window = int(ctx.options.statistic_window)
    values: dict[str, list[tuple[Any, ...]]] = {}
    try:
        if ctx.semantics.percentiles is Percentiles.WINDOWED and int(bound[0][0]) > window:
            # the samples of every point, for the windows (elapsed and latency from the same rows)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE surge_chart_vs AS {joined}"
                " SELECT x, success, row_id, elapsed_ms, latency_ms FROM j"
            )
            with last_rows(con, "SELECT x, success, row_id FROM surge_chart_vs", KEYS, window) as windows:
                for name, column in COLUMNS:
                    rows = f"SELECT x, success, row_id, {column} AS v FROM surge_chart_vs"
                    hist = f"SELECT x, success, v, count(*) AS cnt FROM ({rows}) GROUP BY ALL"
                    values[name] = _medians(ctx, windows.histogram(rows, hist))
        else:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE surge_chart_vs AS {joined}"
                " SELECT x, success, elapsed_ms, latency_ms, GROUPING(elapsed_ms) AS is_latency,"
                " count(*) AS cnt FROM j"
                " GROUP BY GROUPING SETS ((x, success, elapsed_ms), (x, success, latency_ms))"
            )
            for flag, (name, column) in enumerate(COLUMNS):
                hist = f"SELECT x, success, {column} AS v, cnt FROM surge_chart_vs WHERE is_latency = {flag}"
                values[name] = _medians(ctx, hist)
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
        out[key] = graph(
            title,
            series,
            bounds_rule=ctx.semantics.graph_bounds,
            supports_controllers=False,
            granularity_ms=step,
        )
    return out


def _medians(ctx: ChartContext, hist: str) -> list[tuple[Any, ...]]:
    """(x, success, median) of each point of a (x, success, v, cnt) histogram."""
    query = histogram_percentiles_sql(hist, KEYS, [50.0], ctx.semantics.percentiles)
    return [(r[0], r[1], r[5]) for r in ctx.rows(query)]
