"""Chart data for ``surge report``, keyed and shaped like JMeter's graph.js.

``compute_graphs(con, options)`` reads the DuckDB table ``samples`` (see ``surge.report.load``) and
returns ``{graph id: {"result": {title, minX, maxX, minY, maxY, [granularity], [ticks],
supportsControllersDiscrimination, series: [{label, isController, isOverall, data: [[x, y], ...],
[color]}]}}}`` with JMeter's graph ids. x of over-time graphs is UTC epoch ms.

What JMeter computes for each chart is described in docs/jmeter-semantics.md#charts. With
``Semantics.jmeter()`` the series are JMeter's exactly, quirks included. With ``Semantics.exact()``
the bucket width is chosen from the test duration, rate charts are zero-filled, mean charts show
empty buckets as gaps (y = None), percentiles are exact and transaction controllers follow one rule:
TCs appear as their own series in per-label charts and never in pooled (all-label) charts. Each
decision is a field of ``options.semantics``, documented in docs/report-differences.md.

One surge-only graph may follow JMeter's 16: ``queueTimeOverTime`` (with
``semantics.queue_time_chart``, only when the samples carry ``queue_ms``, i.e. an open-model surge
run).

Per-label charts draw at most ``options.chart_label_limit()`` labels (those with the most samples)
and fold the others into one series flagged ``isOther`` (surge only; the graph's ``drawnCount`` and
``foldedCount`` say how many labels are drawn one by one and folded); response codes and thread
groups are folded the same way. See ``surge.report.charts.context``.
"""

from __future__ import annotations

from typing import Any

from surge.report.charts.buckets import choose_granularity_ms
from surge.report.charts.context import LABEL_BUCKETS, TOP_LABELS, build_context
from surge.report.charts.over_time import (
    active_threads_over_time,
    bytes_throughput_over_time,
    connect_time_over_time,
    latencies_over_time,
    percentiles_over_time,
    response_times_over_time,
)
from surge.report.charts.queue_time import QUEUE_GRAPH_ID, queue_time_over_time
from surge.report.charts.response_times import (
    label_histogram,
    response_time_distribution,
    response_time_percentiles,
    synthetic_response_time_distribution,
    time_vs_threads,
)
from surge.report.charts.throughput import (
    codes_per_second,
    hits_per_second,
    total_tps,
    transactions_per_second,
)
from surge.report.charts.vs_request import vs_request_graphs
from surge.report.options import ReportOptions

__all__ = ["GRAPH_IDS", "QUEUE_GRAPH_ID", "choose_granularity_ms", "compute_graphs"]

# In JMeter's order (reportgenerator.properties); the renderer groups them into pages.
GRAPH_IDS: tuple[str, ...] = (
    "responseTimePercentiles",
    "responseTimeDistribution",
    "syntheticResponseTimeDistribution",
    "activeThreadsOverTime",
    "timeVsThreads",
    "bytesThroughputOverTime",
    "responseTimesOverTime",
    "latenciesOverTime",
    "connectTimeOverTime",
    "responseTimePercentilesOverTime",
    "responseTimeVsRequest",
    "latenciesVsRequest",
    "hitsPerSecond",
    "codesPerSecond",
    "transactionsPerSecond",
    "totalTPS",
)


def compute_graphs(con: Any, options: ReportOptions) -> dict[str, dict[str, Any]]:
    """Every chart of the dashboard from table ``samples``, keyed by JMeter's graph id."""
    ctx = build_context(con, options)
    try:
        histogram = label_histogram(ctx)
        graphs: dict[str, dict[str, Any]] = {
            "responseTimePercentiles": response_time_percentiles(ctx, histogram),
            "responseTimeDistribution": response_time_distribution(ctx, histogram),
            "syntheticResponseTimeDistribution": synthetic_response_time_distribution(ctx, histogram),
            "activeThreadsOverTime": active_threads_over_time(ctx),
            "timeVsThreads": time_vs_threads(ctx),
            "bytesThroughputOverTime": bytes_throughput_over_time(ctx),
            "responseTimesOverTime": response_times_over_time(ctx),
            "latenciesOverTime": latencies_over_time(ctx),
            "connectTimeOverTime": connect_time_over_time(ctx),
            "responseTimePercentilesOverTime": percentiles_over_time(ctx),
        }
        graphs.update(vs_request_graphs(ctx))
        graphs["hitsPerSecond"] = hits_per_second(ctx)
        graphs["codesPerSecond"] = codes_per_second(ctx)
        graphs["transactionsPerSecond"] = transactions_per_second(ctx)
        graphs["totalTPS"] = total_tps(ctx)
        queue = queue_time_over_time(ctx)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {LABEL_BUCKETS}")
        con.execute(f"DROP TABLE IF EXISTS {TOP_LABELS}")
    ordered = {gid: graphs[gid] for gid in GRAPH_IDS}
    if queue is not None:
        ordered[QUEUE_GRAPH_ID] = queue
    return ordered
