"""Queue Time Over Time (surge only): how long open-model requests waited past their intended send time."""

from __future__ import annotations

from typing import Any

from surge.report.charts.buckets import bucket_sql
from surge.report.charts.context import ChartContext, as_points
from surge.report.charts.percentiles import exact_percentile_sql, percentile_label
from surge.report.charts.result import Series, graph

QUEUE_GRAPH_ID = "queueTimeOverTime"


def queue_time_over_time(ctx: ChartContext) -> dict[str, Any] | None:
    """Mean, highest configured percentile and max of ``queue_ms`` per end-time bucket (non-TC).

    None when no sample recorded a queueing delay (closed-model runs, JMeter files) and in compat
    mode, where the dashboard holds JMeter's charts only. A growing queue time means the load
    generator could not send at the planned rate, so the latencies it reports from the intended
    send time include that wait (coordinated omission corrected, as in wrk2).
    """
    if ctx.compat:
        return None
    bucket = bucket_sql("end_ms", ctx.step_ms)
    top = max(ctx.options.percentiles)
    rows = ctx.rows(
        f"SELECT {bucket} AS t, avg(queue_ms), {exact_percentile_sql('queue_ms', top)}, max(queue_ms)"
        " FROM samples WHERE in_label_filter AND NOT is_controller AND queue_ms IS NOT NULL GROUP BY t"
    )
    if not rows:
        return None
    fill = ctx.end_buckets()
    names = ("Mean", percentile_label(top), "Max")
    series = []
    for i, name in enumerate(names):
        values = {int(r[0]): (None if r[i + 1] is None else float(r[i + 1])) for r in rows}
        series.append(Series(name, as_points(values, fill, None)))
    return graph(
        "Queue Time Over Time (open model)",
        series,
        compat=False,
        supports_controllers=False,
        granularity_ms=ctx.step_ms,
    )
