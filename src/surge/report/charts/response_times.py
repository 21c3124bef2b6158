"""Response Times page: percentile curve, distribution, overview bars (APDEX zones), time vs threads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from surge.report.charts.context import ChartContext, SeriesKey, series_order
from surge.report.charts.over_time import label_controller_flags
from surge.report.charts.result import JAVA_DOUBLE_MAX, JAVA_DOUBLE_MIN, Bounds, Series, graph
from surge.report.semantics import EmptyControllers, GraphBounds, PercentileCurve, SeriesCreation

DISTRIBUTION_STEP_MS = 100  # jmeter.reportgenerator.graph.responseTimeDistribution.property.set_granularity


@dataclass(frozen=True)
class Histogram:
    """The exact 1-ms histogram of elapsed, per label, status and kind (one pass over the samples)."""

    # (series key, elapsed_ms, samples, samples that are not empty TCs), sorted by key then elapsed;
    # folded labels are pooled under their "other" keys
    per_label: list[tuple[SeriesKey, int, int, int]]
    # (success, elapsed_ms, samples) over non-TC samples
    requests: list[tuple[bool, int, int]]


def label_histogram(ctx: ChartContext) -> Histogram:
    rows = ctx.rows(
        f"SELECT {ctx.folding.columns()}, elapsed_ms, success, is_controller, count(*),"
        " count(*) FILTER (WHERE NOT is_empty_controller)"
        " FROM samples WHERE in_label_filter GROUP BY ALL ORDER BY fold, skey, elapsed_ms"
    )
    per_label: dict[tuple[SeriesKey, int], list[int]] = {}
    requests: list[tuple[bool, int, int]] = []
    for fold, label, elapsed, success, ctrl, n_all, n_real in rows:
        key = ((int(fold), None if label is None else str(label)), int(elapsed))
        acc = per_label.setdefault(key, [0, 0])
        acc[0] += int(n_all)
        acc[1] += int(n_real)
        if not ctrl:
            requests.append((bool(success), int(elapsed), int(n_all)))
    return Histogram([(k[0], k[1], v[0], v[1]) for k, v in per_label.items()], requests)


def response_time_percentiles(ctx: ChartContext, histogram: Histogram) -> dict[str, Any]:
    """Per label, the inverse CDF of elapsed at 0.0, 0.1, ..., 99.9 percent (no window, exact).

    y(p) is the smallest elapsed whose cumulative share exceeds p %. ``PercentileCurve.JMETER``
    reproduces JMeter's floating-point accumulation of shares (it decides ties at exact boundaries);
    ``PercentileCurve.EXACT_TO_MAX`` uses integer arithmetic and adds the 100th percentile (the
    maximum) so the curve ends where the data ends. ``EmptyControllers.JMETER`` counts empty TCs in
    their own label, as JMeter does.
    """
    semantics = ctx.semantics
    with_empty = semantics.empty_controllers is EmptyControllers.JMETER
    per_label: dict[SeriesKey, list[tuple[int, int]]] = defaultdict(list)
    for key, elapsed, n_all, n_real in histogram.per_label:
        count = n_all if with_empty else n_real
        if count:
            per_label[key].append((elapsed, count))
    flags = label_controller_flags(ctx)
    series: list[Series] = []
    values_seen: list[int] = []
    for key in sorted(per_label, key=series_order):
        entries = per_label[key]
        total = sum(c for _, c in entries)
        data: list[list[float | None]] = []
        if semantics.percentile_curve is PercentileCurve.JMETER:
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
        series.append(ctx.series(key, data, flags.get(key, False)))
    if semantics.graph_bounds is GraphBounds.JAVA_START:
        bounds = Bounds(
            min(JAVA_DOUBLE_MAX, 0.0) if series else JAVA_DOUBLE_MAX,
            max(JAVA_DOUBLE_MIN, 100.0) if series else JAVA_DOUBLE_MIN,
            float(min(values_seen, default=JAVA_DOUBLE_MAX)),
            float(max([JAVA_DOUBLE_MIN, *values_seen])),
        )
    else:
        bounds = Bounds(0.0, 100.0, float(min(values_seen, default=0)), float(max(values_seen, default=0)))
    return graph(
        "Response Time Percentiles",
        series,
        bounds_rule=semantics.graph_bounds,
        supports_controllers=True,
        bounds=bounds,
        folded=ctx.label_folded(),
    )


def response_time_distribution(ctx: ChartContext, histogram: Histogram) -> dict[str, Any]:
    """Per label, the number of samples per 100-ms band of elapsed (TCs included, empty TCs not)."""
    with_empty = ctx.semantics.empty_controllers is EmptyControllers.JMETER
    bands: dict[SeriesKey, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for key, elapsed, n_all, n_real in histogram.per_label:
        if n_real or (with_empty and n_all):
            # JMeter counts an empty TC as 0 but still creates its band (a 0 bar)
            bands[key][elapsed - elapsed % DISTRIBUTION_STEP_MS] += n_real
    flags = label_controller_flags(ctx)
    series = [
        ctx.series(key, [[float(x), float(y)] for x, y in sorted(bands[key].items())], flags.get(key, False))
        for key in sorted(bands, key=series_order)
    ]
    return graph(
        "Response Time Distribution",
        series,
        bounds_rule=ctx.semantics.graph_bounds,
        supports_controllers=True,
        granularity_ms=DISTRIBUTION_STEP_MS,
        folded=ctx.label_folded(),
    )


def synthetic_response_time_distribution(ctx: ChartContext, histogram: Histogram) -> dict[str, Any]:
    """Response Time Overview: non-TC samples in the APDEX zones (global thresholds) and in error."""
    sat = int(ctx.options.apdex_satisfied_ms)
    tol = int(ctx.options.apdex_tolerated_ms)
    counts: dict[int, int] = {}
    for success, elapsed, n in histogram.requests:
        zone = 3 if not success else 0 if elapsed <= sat else 1 if elapsed <= tol else 2
        counts[zone] = counts.get(zone, 0) + n
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
        bounds_rule=ctx.semantics.graph_bounds,
        supports_controllers=False,
        extra={"ticks": [[z, labels[z]] for z in range(4)]},
    )


def time_vs_threads(ctx: ChartContext) -> dict[str, Any]:
    """Per label, mean elapsed per allThreads value, plus ``<label>-Aggregated`` (one mean point)."""
    rows = ctx.rows(
        f"SELECT {ctx.folding.columns()}, all_threads, count(*), sum(elapsed_ms) FROM samples"
        " WHERE in_label_filter AND NOT is_empty_controller AND all_threads IS NOT NULL"
        " GROUP BY ALL"
    )
    points: dict[SeriesKey, list[list[float | None]]] = defaultdict(list)
    # per label: samples, Σ allThreads, Σ elapsed -> the "-Aggregated" point (mean x, mean y)
    sums: dict[SeriesKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    for fold, label, threads, n, total_elapsed in rows:
        key = (int(fold), None if label is None else str(label))
        points[key].append([float(threads), int(total_elapsed) / int(n)])
        acc = sums[key]
        acc[0] += int(n)
        acc[1] += int(threads) * int(n)
        acc[2] += int(total_elapsed)
    overall = {key: (acc[1] / acc[0], acc[2] / acc[0]) for key, acc in sums.items()}
    flags = label_controller_flags(ctx)
    # JMeter's series exist from a label's first sample, with or without a point
    on_first_sample = ctx.semantics.series_creation is SeriesCreation.ON_FIRST_SAMPLE
    keys = sorted(flags if on_first_sample else points, key=series_order)
    series: list[Series] = []
    for key in keys:
        flag = flags.get(key, False)
        series.append(ctx.series(key, sorted(points.get(key, []), key=lambda p: p[0] or 0.0), flag))
        if key in overall:
            t, e = overall[key]
            series.append(ctx.series(key, [[t, e]], flag, "-Aggregated"))
    return graph(
        "Time VS Threads",
        series,
        bounds_rule=ctx.semantics.graph_bounds,
        supports_controllers=True,
        folded=ctx.label_folded(),
    )
