"""Response Times page: percentile curve, distribution, overview bars (APDEX zones), time vs threads."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from surge.report.charts.context import ChartContext
from surge.report.charts.over_time import label_controller_flags
from surge.report.charts.result import JAVA_DOUBLE_MAX, JAVA_DOUBLE_MIN, Bounds, Series, graph

DISTRIBUTION_STEP_MS = 100  # jmeter.reportgenerator.graph.responseTimeDistribution.property.set_granularity


def label_histogram(ctx: ChartContext) -> list[tuple[str, int, int, int]]:
    """(label, elapsed_ms, samples, samples that are not empty TCs) — the exact 1-ms histogram."""
    rows = ctx.rows(
        "SELECT label, elapsed_ms, count(*), count(*) FILTER (WHERE NOT is_empty_controller)"
        " FROM samples WHERE in_label_filter GROUP BY label, elapsed_ms ORDER BY label, elapsed_ms"
    )
    return [(str(a), int(b), int(c), int(d)) for a, b, c, d in rows]


def response_time_percentiles(
    ctx: ChartContext, histogram: list[tuple[str, int, int, int]]
) -> dict[str, Any]:
    """Per label, the inverse CDF of elapsed at 0.0, 0.1, ..., 99.9 percent (no window, exact).

    y(p) is the smallest elapsed whose cumulative share exceeds p %. Compat reproduces JMeter's
    floating-point accumulation of shares (it decides ties at exact boundaries) and, as JMeter, counts
    empty TCs in their own label. The default mode uses integer arithmetic, ignores empty TCs and adds
    the 100th percentile (the maximum) so the curve ends where the data ends.
    """
    per_label: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for label, elapsed, n_all, n_real in histogram:
        count = n_all if ctx.compat else n_real
        if count:
            per_label[label].append((elapsed, count))
    flags = label_controller_flags(ctx, include_empty=ctx.compat)
    series: list[Series] = []
    values_seen: list[int] = []
    for label in sorted(per_label):
        entries = per_label[label]
        total = sum(c for _, c in entries)
        data: list[list[float | None]] = []
        if ctx.compat:
            percent = 0.0
            rank = 0
            for value, count in entries:
                percent += 100.0 * count / total
                percentile = rank / 10
                while percentile < percent:
                    data.append([percentile, float(value)])
                    rank += 1
                    percentile = rank / 10
        else:
            cumulative = 0
            rank = 0
            for value, count in entries:
                cumulative += count
                while rank < 1000 and cumulative * 1000 > rank * total:
                    data.append([rank / 10, float(value)])
                    rank += 1
            data.append([100.0, float(entries[-1][0])])
        values_seen.extend(v for v, _ in entries)
        series.append(Series(label, data, is_controller=flags.get(label, False)))
    if ctx.compat:
        bounds = Bounds(
            min(JAVA_DOUBLE_MAX, 0.0) if series else JAVA_DOUBLE_MAX,
            max(JAVA_DOUBLE_MIN, 100.0) if series else JAVA_DOUBLE_MIN,
            float(min(values_seen, default=JAVA_DOUBLE_MAX)),
            float(max([JAVA_DOUBLE_MIN, *values_seen])),
        )
    else:
        bounds = Bounds(0.0, 100.0, float(min(values_seen, default=0)), float(max(values_seen, default=0)))
    return graph(
        "Response Time Percentiles", series, compat=ctx.compat, supports_controllers=True, bounds=bounds
    )


def response_time_distribution(
    ctx: ChartContext, histogram: list[tuple[str, int, int, int]]
) -> dict[str, Any]:
    """Per label, the number of samples per 100-ms band of elapsed (TCs included, empty TCs not)."""
    bands: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for label, elapsed, n_all, n_real in histogram:
        if n_real or (ctx.compat and n_all):
            # JMeter counts an empty TC as 0 but still creates its band (a 0 bar)
            bands[label][elapsed - elapsed % DISTRIBUTION_STEP_MS] += n_real
    flags = label_controller_flags(ctx, include_empty=ctx.compat)
    series = [
        Series(
            label,
            [[float(x), float(y)] for x, y in sorted(bands[label].items())],
            is_controller=flags.get(label, False),
        )
        for label in sorted(bands)
    ]
    return graph(
        "Response Time Distribution",
        series,
        compat=ctx.compat,
        supports_controllers=True,
        granularity_ms=DISTRIBUTION_STEP_MS,
    )


def synthetic_response_time_distribution(ctx: ChartContext) -> dict[str, Any]:
    """Response Time Overview: non-TC samples in the APDEX zones (global thresholds) and in error."""
    sat = int(ctx.options.apdex_satisfied_ms)
    tol = int(ctx.options.apdex_tolerated_ms)
    rows = ctx.rows(
        f"SELECT CASE WHEN NOT success THEN 3 WHEN elapsed_ms <= {sat} THEN 0"
        f" WHEN elapsed_ms <= {tol} THEN 1 ELSE 2 END AS zone, count(*)"
        " FROM samples WHERE in_label_filter AND NOT is_controller GROUP BY zone"
    )
    counts = {int(z): int(c) for z, c in rows}
    labels = [
        f"Requests having \nresponse time <= {sat:,}ms",
        f"Requests having \nresponse time > {sat:,}ms and <= {tol:,}ms",
        f"Requests having \nresponse time > {tol:,}ms",
        "Requests in error",
    ]
    colors = ["#9ACD32", "yellow", "orange", "#FF6347"]
    series = [
        Series(labels[z], [[float(z), float(counts[z])]] if z in counts else [], color=colors[z])
        for z in range(4)
    ]
    return graph(
        "Synthetic Response Times Distribution",
        series,
        compat=ctx.compat,
        supports_controllers=False,
        extra={"ticks": [[z, labels[z]] for z in range(4)]},
    )


def time_vs_threads(ctx: ChartContext) -> dict[str, Any]:
    """Per label, mean elapsed per allThreads value, plus ``<label>-Aggregated`` (one mean point)."""
    rows = ctx.rows(
        "SELECT label, all_threads, avg(elapsed_ms) FROM samples"
        " WHERE in_label_filter AND NOT is_empty_controller AND all_threads IS NOT NULL"
        " GROUP BY label, all_threads"
    )
    points: dict[str, list[list[float | None]]] = defaultdict(list)
    for label, threads, mean in rows:
        points[str(label)].append([float(threads), float(mean)])
    overall = {
        str(label): (float(t), float(e))
        for label, t, e in ctx.rows(
            "SELECT label, avg(all_threads), avg(elapsed_ms) FROM samples"
            " WHERE in_label_filter AND NOT is_empty_controller AND all_threads IS NOT NULL GROUP BY label"
        )
    }
    flags = label_controller_flags(ctx, include_empty=ctx.compat)
    labels = sorted(flags) if ctx.compat else sorted(points)
    series: list[Series] = []
    for label in labels:
        flag = flags.get(label, False)
        series.append(
            Series(label, sorted(points.get(label, []), key=lambda p: p[0] or 0.0), is_controller=flag)
        )
        if label in overall:
            t, e = overall[label]
            series.append(Series(f"{label}-Aggregated", [[t, e]], is_controller=flag))
    return graph("Time VS Threads", series, compat=ctx.compat, supports_controllers=True)
