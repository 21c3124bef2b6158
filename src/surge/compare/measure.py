"""What one run measured, per label and in total, with what its significance tests need (DuckDB SQL).

Reads a table with the columns of the report's ``samples`` table (surge.report.load). The numbers
are the report's default (exact) Statistics table: rows keyed by label and transaction controller
(a label used by both gets two rows), empty transaction controllers left out, the Total over every
sample that is not a transaction controller, throughput over the test's first start to last end,
the exact percentile (the smallest value with more than p % of the samples at or below it).

Three passes over the samples: a value histogram per row (counts, errors, sums, extremes and the
values around each percentile), then per time slice of the run (surge.compare.stats.BATCHES) the
counts, errors, sums and samples at or below each percentile, from which the batch-means errors
come; the charts read a third (see surge.compare.series).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from surge.compare import stats
from surge.report.percentiles import exact_fraction

# The percentiles a comparison reports and tests (the metric names are p50, p90, p95, p99).
PERCENTS: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0)

# A row of a run: (label, is transaction controller); the Total is (None, False).
RowKey = tuple[str | None, bool]
TOTAL_KEY: RowKey = (None, False)

_HIST = "_surge_compare_hist"
_QUANTILES = "_surge_compare_quantiles"
# Rows the comparison counts: the label filter passed, not an empty transaction controller.
_COUNTED = "in_label_filter AND NOT is_empty_controller"


@dataclass(frozen=True, slots=True)
class RowStats:
    """One row (a label, or the Total) of one run."""

    count: int
    errors: int
    mean_ms: float | None
    max_ms: int | None
    rate_per_s: float | None
    percentiles_ms: tuple[float | None, ...]  # at PERCENTS
    mean: stats.Estimate | None
    error_share: stats.Estimate | None  # errors / count, as a fraction
    rate: stats.Estimate | None
    # the sampling distribution of each percentile, or why it is not tested
    spreads: tuple[stats.PercentileSpread | str, ...]

    @property
    def error_pct(self) -> float | None:
        return self.errors * 100.0 / self.count if self.count else None


@dataclass(frozen=True)
class RunStats:
    """Every row of one run, and its time span."""

    start_ms: int
    end_ms: int
    rows: dict[RowKey, RowStats] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass
class _Partial:
    """A row while it is being measured."""

    count: int
    errors: int
    total_ms: float
    total_squares: float
    max_ms: int | None
    band: dict[int, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    ranks: list[int] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    # batch sums (surge.compare.stats.BatchSums) of the counts, errors, elapsed sums and the samples
    # at or below each percentile, keyed "n", "e", "s", "b0".."b3"
    batches: dict[str, stats.BatchSums] = field(default_factory=dict)

    def batch(self, name: str) -> stats.BatchSums:
        return self.batches.get(name, stats.BatchSums(stats.BATCHES, 0.0, 0.0, 0.0, 0.0, 0.0))


def _key(label: Any, is_controller: Any) -> RowKey:
    return (None, False) if label is None else (str(label), bool(is_controller))


@contextmanager
def _histogram(con: Any, table: str) -> Iterator[None]:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_HIST} AS
            SELECT label, is_controller, elapsed_ms AS v, count(*) AS cnt,
                   count(*) FILTER (WHERE NOT success) AS err
            FROM {table} WHERE {_COUNTED} GROUP BY ALL"""
    )
    try:
        # the Total: every counted sample that is not a transaction controller
        con.execute(
            f"""INSERT INTO {_HIST} SELECT NULL, FALSE, v, sum(cnt), sum(err) FROM {_HIST}
                WHERE NOT is_controller GROUP BY v"""
        )
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_HIST}")


def _percent_table() -> str:
    rows = []
    for i, p in enumerate(PERCENTS):
        f = exact_fraction(p)
        rows.append(f"({i}, {f.numerator}, {f.denominator}, {float(f)!r})")
    return f"(VALUES {', '.join(rows)}) AS p(i, num, den, frac)"


_CUMULATIVE = f"""
    SELECT label, is_controller, v, cnt, err,
           sum(cnt) OVER (PARTITION BY label, is_controller ORDER BY v ROWS UNBOUNDED PRECEDING) AS cum,
           sum(cnt) OVER (PARTITION BY label, is_controller) AS n
    FROM {_HIST}"""


def _first_pass(con: Any) -> dict[RowKey, _Partial]:
    """Counts, errors, sums, maximum and the exact percentiles per row; the bands of the testable ones."""
    fractions = [exact_fraction(p) for p in PERCENTS]
    # the smallest value with more than p % of the samples at or below it (surge.report.percentiles)
    picks = ", ".join(
        f"coalesce(min(v) FILTER (WHERE cum * {f.denominator} > {f.numerator} * n), max(v))"
        for f in fractions
    )
    partials: dict[RowKey, _Partial] = {}
    for label, ctrl, n, errors, total, squares, max_ms, *values in con.execute(
        f"""SELECT label, is_controller, any_value(n), sum(err), sum(CAST(cnt AS HUGEINT) * v),
                   sum(CAST(cnt AS DOUBLE) * v * v), max(v), {picks}
            FROM ({_CUMULATIVE}) GROUP BY label, is_controller"""
    ).fetchall():
        count = int(n)
        partials[_key(label, ctrl)] = _Partial(
            count=count,
            errors=int(errors),
            total_ms=float(total),
            total_squares=float(squares),
            max_ms=None if max_ms is None else int(max_ms),
            ranks=[stats.percentile_rank(count, f.numerator, f.denominator) for f in fractions],
            values=[float(v) for v in values],
        )
    # The values around each tested percentile's rank, with their cumulative counts.
    band_sql = f"""
        WITH r AS (
            SELECT c.*, p.i, least(n, (p.num * n) // p.den + 1) AS rk,
                   CAST(ceil({stats.BAND_SD} * sqrt(n * p.frac * (1 - p.frac))) AS BIGINT) + 2 AS w
            FROM ({_CUMULATIVE}) AS c CROSS JOIN {_percent_table()}
            WHERE n * p.frac * (1 - p.frac) >= {stats.MIN_BINOMIAL_VARIANCE})
        SELECT label, is_controller, i, v, cum FROM r
        WHERE cum >= rk - w AND cum - cnt < rk + w
        ORDER BY label, is_controller, i, v"""
    for label, ctrl, i, value, cum in con.execute(band_sql).fetchall():
        partials[_key(label, ctrl)].band[int(i)].append((float(value), int(cum)))
    return partials


def _batch_pass(
    con: Any, table: str, partials: dict[RowKey, _Partial], start_ms: int, duration_ms: int
) -> None:
    """Per row, the batch sums of the counts, errors, elapsed sums and samples at or below each
    percentile over the run's time slices; added up in SQL (a file may hold 100,000 labels)."""
    # Rows with fewer samples than this keep the independent-samples errors only: a couple of samples
    # per slice say little about correlation, and a file labelled by URL has 100,000 such rows.
    keys = [key for key, p in partials.items() if key != TOTAL_KEY and p.count >= stats.MIN_BATCH_SAMPLES]
    width = len(PERCENTS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_QUANTILES} AS SELECT * FROM (
                SELECT unnest(?::VARCHAR[]) AS label, unnest(?::BOOLEAN[]) AS is_controller,
                       {", ".join(f"unnest(?::DOUBLE[]) AS q{i}" for i in range(width))})""",
        [
            [k[0] for k in keys],
            [k[1] for k in keys],
            *([partials[k].values[i] for k in keys] for i in range(width)),
        ],
    )
    total = partials.get(TOTAL_KEY)
    total_values = total.values if total is not None else [None] * width
    k = stats.BATCHES
    batch = f"least({k - 1}, ((start_ms - {int(start_ms)}) * {k}) // {max(int(duration_ms), 1)})"
    ys = ["e", "s", *(f"b{i}" for i in range(width))]
    per_slice = ", ".join(
        [
            "count(*) AS n",
            "count(*) FILTER (WHERE NOT success) AS e",
            "CAST(sum(elapsed_ms) AS DOUBLE) AS s",
            *(f"count(*) FILTER (WHERE elapsed_ms <= q{i}) AS b{i}" for i in range(width)),
            "count(*) FILTER (WHERE NOT is_controller) AS t_n",
            "count(*) FILTER (WHERE NOT is_controller AND NOT success) AS t_e",
            "CAST(coalesce(sum(elapsed_ms) FILTER (WHERE NOT is_controller), 0) AS DOUBLE) AS t_s",
            *(
                f"count(*) FILTER (WHERE NOT is_controller AND elapsed_ms <= {_sql_number(v)}) AS t_b{i}"
                for i, v in enumerate(total_values)
            ),
        ]
    )

    def sums(prefix: str) -> str:
        n = f"CAST({prefix}n AS DOUBLE)"
        cols = [f"sum({n}) AS n", f"sum({n} * {n}) AS nn"]
        for y in ys:
            v = f"CAST({prefix}{y} AS DOUBLE)"
            cols += [f"sum({v}) AS {y}", f"sum({v} * {v}) AS {y}{y}", f"sum({v} * {n}) AS {y}n"]
        return ", ".join(cols)

    total_slices = ", ".join(["sum(t_n) AS t_n", *(f"sum(t_{y}) AS t_{y}" for y in ys)])
    try:
        cursor = con.execute(
            f"""WITH slices AS (
                    SELECT label, is_controller, {batch} AS b, {per_slice}
                    FROM {table} JOIN {_QUANTILES} USING (label, is_controller)
                    WHERE {_COUNTED} GROUP BY ALL)
                SELECT label, is_controller, {sums("")} FROM slices GROUP BY label, is_controller
                UNION ALL
                SELECT NULL, FALSE, {sums("t_")} FROM (SELECT b, {total_slices} FROM slices GROUP BY b)"""
        )
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_QUANTILES}")
    for row in rows:
        partial = partials.get(_key(row[0], row[1]))
        if partial is None or row[names.index("n")] is None:
            continue
        got = dict(zip(names, row, strict=True))
        n, nn = float(got["n"]), float(got["nn"])
        partial.batches["n"] = stats.BatchSums(k, n, n, nn, nn, nn)
        for y in ys:
            partial.batches[y] = stats.BatchSums(
                k, float(got[y]), n, float(got[f"{y}{y}"]), float(got[f"{y}n"]), nn
            )


def _sql_number(value: float | None) -> str:
    return "NULL" if value is None else repr(float(value))


def _spread(partial: _Partial, i: int) -> stats.PercentileSpread | str:
    fraction = PERCENTS[i] / 100.0
    n = partial.count
    if n * fraction * (1.0 - fraction) < stats.MIN_BINOMIAL_VARIANCE:
        need = math.ceil(stats.MIN_BINOMIAL_VARIANCE / (fraction * (1.0 - fraction)))
        return f"too few samples to test p{PERCENTS[i]:g} ({n:,}; {need:,} needed)"
    band = partial.band.get(i, [])
    rank = partial.ranks[i]
    below = next((cum for value, cum in band if value == partial.values[i]), rank)
    inflation = stats.indicator_inflation(n, below, partial.batch(f"b{i}"))
    return stats.percentile_spread(band, n, rank, inflation)


def _finish(partial: _Partial, duration_s: float) -> RowStats:
    n = partial.count
    return RowStats(
        count=n,
        errors=partial.errors,
        mean_ms=partial.total_ms / n if n else None,
        max_ms=partial.max_ms,
        rate_per_s=n / duration_s if duration_s > 0 else None,
        percentiles_ms=tuple(partial.values),
        mean=stats.mean_estimate(n, partial.total_ms, partial.total_squares, partial.batch("s")),
        error_share=stats.proportion_estimate(n, partial.errors, partial.batch("e")),
        rate=stats.rate_estimate(n, duration_s, partial.batch("n")),
        spreads=tuple(_spread(partial, i) for i in range(len(PERCENTS))),
    )


def run_span(con: Any, table: str) -> tuple[int, int] | None:
    """The run's first start and last end (every sample, as the report's test duration)."""
    row = con.execute(f"SELECT min(start_ms), max(end_ms) FROM {table}").fetchone()
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1])


def measure_run(con: Any, table: str) -> RunStats:
    """Every row of the run in ``table`` (see the module docstring)."""
    span = run_span(con, table)
    if span is None:
        return RunStats(0, 0)
    start_ms, end_ms = span
    with _histogram(con, table):
        partials = _first_pass(con)
    duration_ms = end_ms - start_ms
    _batch_pass(con, table, partials, start_ms, duration_ms)
    duration_s = duration_ms / 1000.0
    rows = {key: _finish(partial, duration_s) for key, partial in partials.items() if partial.count}
    return RunStats(start_ms, end_ms, rows)
