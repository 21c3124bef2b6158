"""Queue Time Over Time (surge only): how long open-model requests waited past their intended send time."""

from __future__ import annotations

from typing import Any

from surge.report.charts.buckets import bucket_sql
from surge.report.charts.context import ChartContext, column_series
from surge.report.percentiles import histogram_percentiles_sql, percentile_label
from surge.report.semantics import Percentiles

QUEUE_GRAPH_ID = "queueTimeOverTime"


def queue_time_over_time(ctx: ChartContext) -> dict[str, Any] | None:
    """Mean, highest configured percentile and max of ``queue_ms`` per end-time bucket (non-TC).

    None when no sample recorded a queueing delay (closed-model runs, JMeter files) and without
    ``semantics.queue_time_chart`` (JMeter's semantics: the dashboard holds JMeter's charts only).
    A growing queue time means the load generator could not send at the planned rate, so the
    latencies it reports from the intended send time include that wait (coordinated omission
    corrected, as in wrk2).
    """
    if not ctx.semantics.queue_time_chart:
        return None
    bucket = bucket_sql("end_ms", ctx.step_ms)
    top = max(ctx.options.percentiles)
    base = "FROM samples WHERE in_label_filter AND NOT is_controller AND queue_ms IS NOT NULL"
    means = {int(t): float(m) for t, m in ctx.rows(f"SELECT {bucket} AS t, avg(queue_ms) {base} GROUP BY t")}
    if not means:
        return None
    hist = f"SELECT {bucket} AS t, queue_ms AS v, count(*) AS cnt {base} GROUP BY t, v"
    # columns: t, n, min, max, percentile
    rows = [
        (r[0], means[int(r[0])], r[4], r[3])
        for r in ctx.rows(histogram_percentiles_sql(hist, ["t"], [top], Percentiles.EXACT))
    ]
    series = column_series(("Mean", percentile_label(top), "Max"), rows, ctx.end_buckets())
    return ctx.time_graph("Queue Time Over Time (open model)", series, supports_controllers=False)
