"""Shared state of one chart computation: connection, options, bucket width and time range."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surge.report.charts.buckets import bucket_range, bucket_sql, granularity_ms
from surge.report.charts.result import Point, Series, clean, graph
from surge.report.options import ReportOptions

# Per-(label, end bucket, status, kind) sums, computed in one pass over ``samples``; most over-time
# and throughput charts are small queries over this table instead of new passes over the samples.
LABEL_BUCKETS = "surge_chart_label_buckets"


@dataclass(frozen=True)
class ChartContext:
    con: Any
    options: ReportOptions
    step_ms: int
    # First and last end-time bucket over the samples the charts see (None when there are none).
    first_end_bucket: int | None
    last_end_bucket: int | None

    @property
    def compat(self) -> bool:
        return self.options.jmeter_compat

    def end_buckets(self) -> range | None:
        """Every end-time bucket of the test, for zero-fill and gaps; None in compat mode (JMeter
        emits only buckets with samples) or when a very fine ``--granularity`` over a long span would
        make the filled series too big for the page."""
        if self.compat or self.first_end_bucket is None or self.last_end_bucket is None:
            return None
        return fill_range(self.first_end_bucket, self.last_end_bucket, self.step_ms)

    def time_graph(self, title: str, series: Sequence[Series], supports_controllers: bool) -> dict[str, Any]:
        """A chart over this report's time buckets (its granularity is part of JMeter's graph entry)."""
        return graph(
            title,
            series,
            compat=self.compat,
            supports_controllers=supports_controllers,
            granularity_ms=self.step_ms,
        )

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.con.execute(sql, list(params)).fetchall())


def build_context(con: Any, options: ReportOptions) -> ChartContext:
    step = granularity_ms(con, options)
    # Keyed finely enough that the over-time and throughput charts are all small queries over this
    # table (one pass over the samples); in practice a label has few codes and one thread group, so
    # it stays near labels x buckets rows.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LABEL_BUCKETS} AS
        SELECT label, {bucket_sql("end_ms", step)} AS t, {bucket_sql("start_ms", step)} AS ts,
               success, is_controller AS ctrl, is_empty_controller AS empty,
               response_code AS code, thread_group AS tg,
               count(*) AS n, sum(elapsed_ms) AS s_el, sum(latency_ms) AS s_lat,
               sum(connect_ms) AS s_con, sum(bytes) AS s_b, sum(sent_bytes) AS s_sb,
               sum(grp_threads) AS s_grp, count(grp_threads) AS n_grp, min(row_id) AS first_row
        FROM samples WHERE in_label_filter
        GROUP BY ALL
        """
    )
    row = con.execute(f"SELECT min(t), max(t) FROM {LABEL_BUCKETS} WHERE NOT empty").fetchone()
    first, last = (row[0], row[1]) if row else (None, None)
    return ChartContext(
        con=con,
        options=options,
        step_ms=step,
        first_end_bucket=None if first is None else int(first),
        last_end_bucket=None if last is None else int(last),
    )


# Beyond this many buckets a filled series is not drawn usefully anyway; show only real buckets.
MAX_FILLED_BUCKETS = 20_000


def fill_range(first_ms: int, last_ms: int, step_ms: int) -> range | None:
    buckets = bucket_range(first_ms, last_ms, step_ms)
    return buckets if len(buckets) <= MAX_FILLED_BUCKETS else None


def group_points(rows: Iterable[tuple[Any, ...]]) -> dict[Any, dict[int, float | None]]:
    """Rows ``(series key, x, y)`` → ``{key: {x: y}}``."""
    out: dict[Any, dict[int, float | None]] = defaultdict(dict)
    for key, x, y in rows:
        out[key][int(x)] = clean(None if y is None else float(y))
    return out


def as_points(
    values: Mapping[int, float | None], fill: range | None, fill_value: float | None
) -> list[Point]:
    """Sorted ``[[x, y], ...]``; with ``fill``, every bucket of the range appears (missing → fill_value)."""
    if fill is None:
        return [[float(x), values[x]] for x in sorted(values)]
    keys = sorted(set(fill).union(values))
    return [[float(x), values.get(x, fill_value)] for x in keys]


def column_series(names: Sequence[str], rows: Sequence[tuple[Any, ...]], fill: range | None) -> list[Series]:
    """Rows ``(bucket, y1, y2, ...)`` → one series per y column, named by ``names``; missing buckets
    are gaps (a statistic of no sample is unknown, not zero)."""
    series = []
    for i, name in enumerate(names, start=1):
        values = {int(r[0]): (None if r[i] is None else float(r[i])) for r in rows}
        series.append(Series(name, as_points(values, fill, None)))
    return series
