"""Over Time page: response times, latencies, connect times, active threads, bytes, percentiles."""

from __future__ import annotations

from typing import Any

from surge.report.charts.buckets import bucket_sql
from surge.report.charts.context import (
    LABEL_BUCKETS,
    ChartContext,
    SeriesKey,
    as_points,
    column_series,
    group_points,
    series_order,
)
from surge.report.charts.result import Series
from surge.report.percentiles import histogram_percentiles_sql, last_rows, percentile_label
from surge.report.semantics import EmptyControllers, Percentiles, SeriesCreation


def label_controller_flags(ctx: ChartContext) -> dict[SeriesKey, bool]:
    """Series key → isController, taken from the label's first sample in file order (as JMeter does).

    Folded labels have two keys, requests and controllers, flagged accordingly. With
    ``EmptyControllers.JMETER`` empty TCs count too: a label made only of them has a key, and an
    empty TC that comes first flags its label as a controller.
    """
    include_empty = ctx.semantics.empty_controllers is EmptyControllers.JMETER
    where = "" if include_empty else "WHERE NOT empty"
    rows = ctx.rows(
        f"SELECT fold, skey, arg_min(ctrl, first_row) FROM {LABEL_BUCKETS} {where} GROUP BY fold, skey"
    )
    return {(int(fold), None if key is None else str(key)): bool(flag) for fold, key, flag in rows}


def mean_over_time(ctx: ChartContext, sum_column: str, title: str) -> dict[str, Any]:
    """Per-label mean of a column per end-time bucket; TCs included, empty TCs ignored.

    JMeter still creates a series for a label whose samples are all empty TCs (no points);
    ``EmptyControllers.IGNORED`` leaves such a label out. With ``EmptyBuckets.FILLED`` buckets
    without samples are gaps (y = null), not zeros: a mean of nothing is unknown, and a zero would
    read as "fast".
    """
    flags = label_controller_flags(ctx)
    values = group_points(
        ((int(fold), key), t, y)
        for fold, key, t, y in ctx.rows(
            f"SELECT fold, skey, t, sum({sum_column}) / sum(n) FROM {LABEL_BUCKETS}"
            " WHERE NOT empty GROUP BY fold, skey, t"
        )
    )
    fill = ctx.end_buckets()
    series = [
        ctx.series(key, as_points(values.get(key, {}), fill, None), flags[key])
        for key in sorted(flags, key=series_order)
    ]
    return ctx.time_graph(title, series, supports_controllers=True, folded=ctx.label_folded())


def response_times_over_time(ctx: ChartContext) -> dict[str, Any]:
    return mean_over_time(ctx, "s_el", "Response Time Over Time")


def latencies_over_time(ctx: ChartContext) -> dict[str, Any]:
    return mean_over_time(ctx, "s_lat", "Latencies Over Time")


def connect_time_over_time(ctx: ChartContext) -> dict[str, Any]:
    return mean_over_time(ctx, "s_con", "Connect Time Over Time")


def active_threads_over_time(ctx: ChartContext) -> dict[str, Any]:
    """Mean grpThreads per thread group per end-time bucket (JMeter draws it stacked).

    Beyond the chart limit, the other groups are one series, the sum of their means: the stack's
    top line stays the total.
    """
    folding = ctx.folded_values(
        "tg", f"SELECT tg, sum(n_grp) FROM {LABEL_BUCKETS} WHERE NOT empty GROUP BY tg HAVING sum(n_grp) > 0"
    )
    means = (
        f"SELECT tg, t, sum(s_grp) / sum(n_grp) AS mean FROM {LABEL_BUCKETS}"
        " WHERE NOT empty GROUP BY tg, t HAVING sum(n_grp) > 0"
    )
    values = group_points(
        ((bool(other), group), t, y)
        for other, group, t, y in ctx.rows(
            f"SELECT {folding.columns}, t, sum(mean) FROM ({means}) GROUP BY ALL", folding.params
        )
    )
    fill = ctx.end_buckets()
    series = [
        Series(
            f"Other thread groups ({folding.folded:,})" if other else str(group),
            as_points(values[(other, group)], fill, None),
            is_other=other,
        )
        for other, group in sorted(values, key=lambda k: (k[0], str(k[1])))
    ]
    return ctx.time_graph(
        "Active Threads Over Time", series, supports_controllers=False, folded=folding.counts
    )


def bytes_throughput_over_time(ctx: ChartContext) -> dict[str, Any]:
    """Received and sent bytes per second per end-time bucket, transaction controllers excluded."""
    step = ctx.step_ms
    rows = ctx.rows(
        f"SELECT t, sum(s_b) * 1000.0 / {step}, sum(s_sb) * 1000.0 / {step}"
        f" FROM {LABEL_BUCKETS} WHERE NOT ctrl GROUP BY t"
    )
    received = {int(t): float(r) for t, r, _ in rows}
    sent = {int(t): float(s) for t, _, s in rows}
    fill = ctx.end_buckets()
    series = []
    if rows or ctx.semantics.series_creation is SeriesCreation.BY_CONTENT:
        series = [
            Series("Bytes received per second", as_points(received, fill, 0.0)),
            Series("Bytes sent per second", as_points(sent, fill, 0.0)),
        ]
    return ctx.time_graph("Bytes Throughput Over Time", series, supports_controllers=False)


def percentiles_over_time(ctx: ChartContext) -> dict[str, Any]:
    """Min, max, median and the three percentiles of successful non-TC samples per end-time bucket.

    ``Percentiles.WINDOWED``: a fresh LEGACY estimator per bucket holding the bucket's last
    ``statistic_window`` samples (file order), as JMeter ≥ 5.1. ``Percentiles.EXACT``: exact
    percentiles over every sample. Both read a (bucket, elapsed) histogram, recounted from its window
    for a bucket that overflows it.
    """
    opts = ctx.options
    method = ctx.semantics.percentiles
    bucket = bucket_sql("end_ms", ctx.step_ms)
    base = "FROM samples WHERE in_label_filter AND NOT is_controller AND success"
    pcts = (50.0, *opts.percentiles)
    window = int(opts.statistic_window)
    # bucket sizes from the label-bucket table tell, without a pass, whether JMeter's window bites
    biggest = ctx.rows(
        f"SELECT coalesce(max(k), 0) FROM (SELECT sum(n) AS k FROM {LABEL_BUCKETS}"
        " WHERE success AND NOT ctrl GROUP BY t)"
    )
    hist = f"SELECT {bucket} AS t, elapsed_ms AS v, count(*) AS cnt {base} GROUP BY t, v"
    if method is Percentiles.WINDOWED and int(biggest[0][0]) > window:
        # min and max are over every sample of the bucket, the percentiles over its window
        extremes = {
            int(t): (mn, mx) for t, mn, mx in ctx.rows(f"SELECT t, min(v), max(v) FROM ({hist}) GROUP BY t")
        }
        samples = f"SELECT {bucket} AS t, row_id, elapsed_ms AS v {base}"
        with last_rows(ctx.con, samples, ["t"], window) as windows:
            query = histogram_percentiles_sql(windows.histogram(samples, hist), ["t"], pcts, method)
            rows = [(r[0], *extremes[int(r[0])], *r[4:]) for r in ctx.rows(query)]
    else:
        query = histogram_percentiles_sql(hist, ["t"], pcts, method)
        rows = [(r[0], *r[2:]) for r in ctx.rows(query)]
    # JMeter makes the series as soon as any non-TC sample passes, even if none succeeded
    has_series = (
        ctx.semantics.series_creation is SeriesCreation.BY_CONTENT
        or int(ctx.rows("SELECT count(*) FROM samples WHERE in_label_filter AND NOT is_controller")[0][0]) > 0
    )
    names = ["Min", "Max", "Median", *(percentile_label(p) for p in opts.percentiles)]
    series = column_series(names, rows, ctx.end_buckets()) if has_series else []
    return ctx.time_graph(
        "Response Time Percentiles Over Time (successful requests only)", series, supports_controllers=False
    )
