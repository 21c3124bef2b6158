"""Shared state of one chart computation: connection, options, bucket width, time range, drawn labels.

Per-label charts draw the labels with the most samples one by one and fold all the other labels into
one series (two when transaction controllers are among them: a controller's time is not a request's).
The choice is made once, in DuckDB, and every per-label query groups by the folded key, so the cost
and the page size follow the number of drawn labels, not the number of labels in the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surge.report.charts.buckets import bucket_range, bucket_sql, granularity_ms
from surge.report.charts.result import Point, Series, clean, graph
from surge.report.options import ReportOptions
from surge.report.semantics import EmptyBuckets, Semantics

# Per-(label, end bucket, status, kind) sums, computed in one pass over ``samples``; most over-time
# and throughput charts are small queries over this table instead of new passes over the samples.
# Its ``label`` is the series key ``skey`` (NULL for folded labels) next to ``fold`` (see FOLD_*).
LABEL_BUCKETS = "surge_chart_label_buckets"
# The labels drawn one by one, when not all of them are.
TOP_LABELS = "surge_chart_top_labels"

# ``fold`` of a series key: the label itself, or every other label's requests / controllers.
FOLD_NONE = 0
FOLD_REQUESTS = 1
FOLD_CONTROLLERS = 2

SeriesKey = tuple[int, str | None]  # (fold, label or None)


@dataclass(frozen=True)
class Folding:
    """Which labels the per-label charts draw one by one, and how many are folded."""

    limit: int | None  # labels drawn one by one; None: every label
    labels: int  # labels among the charted samples
    other_requests: int = 0  # folded labels with request (non-TC) samples
    other_controllers: int = 0  # folded labels with transaction-controller samples

    @property
    def active(self) -> bool:
        return self.other_requests + self.other_controllers > 0

    @property
    def folded(self) -> int:
        """Labels drawn as part of an "other" series."""
        return self.labels - self.limit if self.active and self.limit is not None else 0

    def name(self, key: SeriesKey) -> str:
        fold, label = key
        if fold == FOLD_REQUESTS:
            return f"Other labels ({self.other_requests:,})"
        if fold == FOLD_CONTROLLERS:
            return f"Other transaction controllers ({self.other_controllers:,})"
        return label or ""

    def columns(self) -> str:
        """SELECT items ``fold, skey`` for a query over ``samples``."""
        if not self.active:
            return f"{FOLD_NONE} AS fold, label AS skey"
        top = f"label IN (SELECT label FROM {TOP_LABELS})"
        return (
            f"CASE WHEN {top} THEN {FOLD_NONE} WHEN is_controller THEN {FOLD_CONTROLLERS}"
            f" ELSE {FOLD_REQUESTS} END AS fold, CASE WHEN {top} THEN label END AS skey"
        )


@dataclass(frozen=True)
class ValueFolding:
    """SELECT items ``other, v`` that fold a column's values beyond the chart limit, with parameters."""

    columns: str
    params: list[Any]
    drawn: int  # values drawn one by one (when some are folded)
    folded: int  # values drawn as the "other" series

    @property
    def counts(self) -> tuple[int, int]:
        return (self.drawn, self.folded)


def series_order(key: SeriesKey) -> tuple[int, str]:
    """Drawn labels first, by label, then the folded series."""
    return (key[0], key[1] or "")


def choose_folding(con: Any, limit: int | None) -> Folding:
    """Pick the ``limit`` labels with the most samples (ties by label) into TOP_LABELS, in DuckDB."""
    if limit is None:
        return Folding(None, 0)
    counts = f"{TOP_LABELS}_counts"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT label, count(*) FILTER (WHERE NOT is_empty_controller) AS n,
                   bool_or(NOT is_controller) AS requests, bool_or(is_controller) AS controllers
            FROM samples WHERE in_label_filter GROUP BY label"""
    )
    try:
        labels = int(con.execute(f"SELECT count(*) FROM {counts}").fetchone()[0])
        if labels <= limit:
            return Folding(limit, labels)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {TOP_LABELS} AS
                SELECT label FROM {counts} ORDER BY n DESC, label LIMIT {int(limit)}"""
        )
        requests, controllers = con.execute(
            f"""SELECT count(*) FILTER (WHERE requests), count(*) FILTER (WHERE controllers)
                FROM {counts} ANTI JOIN {TOP_LABELS} USING (label)"""
        ).fetchone()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {counts}")
    return Folding(limit, labels, int(requests), int(controllers))


@dataclass(frozen=True)
class ChartContext:
    con: Any
    options: ReportOptions
    step_ms: int
    # First and last end-time bucket over the samples the charts see (None when there are none).
    first_end_bucket: int | None
    last_end_bucket: int | None
    folding: Folding = Folding(None, 0)

    @property
    def semantics(self) -> Semantics:
        return self.options.semantics

    def end_buckets(self) -> range | None:
        """Every end-time bucket of the test, for zero-fill and gaps; None with
        ``EmptyBuckets.OMITTED`` (JMeter emits only buckets with samples) or when a very fine
        ``--granularity`` over a long span would make the filled series too big for the page."""
        if self.semantics.empty_buckets is EmptyBuckets.OMITTED:
            return None
        if self.first_end_bucket is None or self.last_end_bucket is None:
            return None
        return fill_range(self.first_end_bucket, self.last_end_bucket, self.step_ms)

    def time_graph(
        self,
        title: str,
        series: Sequence[Series],
        supports_controllers: bool,
        folded: tuple[int, int] = (0, 0),
    ) -> dict[str, Any]:
        """A chart over this report's time buckets (its granularity is part of JMeter's graph entry)."""
        return graph(
            title,
            series,
            bounds_rule=self.semantics.graph_bounds,
            supports_controllers=supports_controllers,
            granularity_ms=self.step_ms,
            folded=folded,
        )

    def label_folded(self) -> tuple[int, int]:
        """How many labels a per-label chart draws one by one and folds into "other" series."""
        return (self.folding.limit or 0, self.folding.folded)

    def series(self, key: SeriesKey, data: list[Point], is_controller: bool, suffix: str = "") -> Series:
        """One per-label series: the label's own, or a folded one (drawn apart, after the labels)."""
        return Series(
            self.folding.name(key) + suffix, data, is_controller=is_controller, is_other=key[0] != FOLD_NONE
        )

    def folded_values(self, column: str, counts_sql: str) -> ValueFolding:
        """Fold the values of ``column`` (response codes, thread groups) beyond the chart limit.

        ``counts_sql`` gives (value, samples) rows; the values with the most samples (ties by value)
        are drawn one by one.
        """
        limit = self.folding.limit
        counts = [(v, int(n)) for v, n in self.rows(counts_sql)]
        if limit is None or len(counts) <= limit:
            return ValueFolding(f"FALSE AS other, {column} AS v", [], 0, 0)
        counts.sort(key=lambda vn: (-vn[1], str(vn[0])))
        top = [v for v, _ in counts[:limit]]
        return ValueFolding(
            f"NOT list_contains($1, {column}) AS other,"
            f" CASE WHEN list_contains($1, {column}) THEN {column} END AS v",
            [top],
            limit,
            len(counts) - limit,
        )

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.con.execute(sql, list(params)).fetchall())


def build_context(con: Any, options: ReportOptions) -> ChartContext:
    step = granularity_ms(con, options)
    folding = choose_folding(con, options.chart_label_limit())
    # Keyed finely enough that the over-time and throughput charts are all small queries over this
    # table (one pass over the samples); in practice a label has few codes and one thread group, so
    # it stays near drawn labels x buckets rows.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LABEL_BUCKETS} AS
        SELECT {folding.columns()}, {bucket_sql("end_ms", step)} AS t, {bucket_sql("start_ms", step)} AS ts,
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
        folding=folding,
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
