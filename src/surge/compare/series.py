"""The page's chart series of one run: percentile curves and over-time series of the charted rows.

Over-time buckets count from the run's own first start, so two runs recorded at different times
line up on "seconds since the run started". Only the charted rows (the Total and the labels with the
most samples) are read, so the page stays small whatever the number of labels.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from surge.compare.measure import TOTAL_KEY, RowKey
from surge.report.percentiles import exact_fraction

# Points of the percentile curves, on a "nines" scale: 0 to 90 % in tens, then ten points per
# decade of 1 - p up to 99.99 % (the x axis of the chart is 1 / (1 - p), logarithmic).
CURVE_PERCENTS: tuple[float, ...] = tuple(
    sorted({0.0, 10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0}
           | {round(100.0 * (1.0 - 10.0 ** (-k / 10.0)), 4) for k in range(10, 41)})
)  # fmt: skip

_CHARTED = "_surge_compare_charted"
_COUNTED = "in_label_filter AND NOT is_empty_controller"


@dataclass(frozen=True)
class Bucket:
    offset_s: float  # bucket start, seconds since the run's first start
    count: int
    errors: int
    mean_ms: float


@dataclass(frozen=True)
class RunSeries:
    """Chart data of one run, for the charted rows it has."""

    step_ms: int
    curves: dict[RowKey, list[tuple[float, float]]] = field(default_factory=dict)  # (percent, ms)
    over_time: dict[RowKey, list[Bucket]] = field(default_factory=dict)


@contextmanager
def _charted(con: Any, keys: Sequence[RowKey]) -> Iterator[None]:
    labels = [k for k in keys if k != TOTAL_KEY]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {_CHARTED} AS SELECT * FROM (
                SELECT unnest(?::VARCHAR[]) AS label, unnest(?::BOOLEAN[]) AS is_controller)""",
        [[k[0] for k in labels], [k[1] for k in labels]],
    )
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_CHARTED}")


def _rows(table: str, columns: str, group: str) -> str:
    """The charted labels' rows and the Total's (label NULL) of ``columns`` grouped by ``group``."""
    return f"""
        SELECT label, is_controller, {columns} FROM {table} SEMI JOIN {_CHARTED} USING (label, is_controller)
        WHERE {_COUNTED} GROUP BY label, is_controller, {group}
        UNION ALL
        SELECT NULL, FALSE, {columns} FROM {table} WHERE {_COUNTED} AND NOT is_controller GROUP BY {group}"""


def _key(label: Any, is_controller: Any) -> RowKey:
    return TOTAL_KEY if label is None else (str(label), bool(is_controller))


def run_series(con: Any, table: str, keys: Sequence[RowKey], start_ms: int, step_ms: int) -> RunSeries:
    """Curves and over-time buckets of ``keys`` (the Total among them or not) in the run ``table``."""
    series = RunSeries(step_ms)
    with _charted(con, keys):
        fractions = [exact_fraction(p) for p in CURVE_PERCENTS]
        picks = ", ".join(
            f"min(v) FILTER (WHERE cum * {f.denominator} > {f.numerator} * n)" for f in fractions
        )
        hist = _rows(table, "elapsed_ms AS v, count(*) AS cnt", "elapsed_ms")
        curve_sql = f"""
            WITH c AS (
                SELECT label, is_controller, v,
                       sum(cnt) OVER (PARTITION BY label, is_controller ORDER BY v ROWS UNBOUNDED PRECEDING)
                           AS cum,
                       sum(cnt) OVER (PARTITION BY label, is_controller) AS n
                FROM ({hist}))
            SELECT label, is_controller, {picks} FROM c GROUP BY label, is_controller"""
        wanted = set(keys)
        for row in con.execute(curve_sql).fetchall():
            key = _key(row[0], row[1])
            if key in wanted:
                series.curves[key] = [
                    (p, float(v)) for p, v in zip(CURVE_PERCENTS, row[2:], strict=True) if v is not None
                ]
        bucket = f"(start_ms - {int(start_ms)}) // {int(step_ms)}"
        time_sql = _rows(
            table,
            f"{bucket} AS b, count(*), count(*) FILTER (WHERE NOT success), avg(elapsed_ms)",
            "b",
        )
        for label, ctrl, b, count, errors, mean in con.execute(time_sql + " ORDER BY 1, 2, 3").fetchall():
            key = _key(label, ctrl)
            if key in wanted:
                series.over_time.setdefault(key, []).append(
                    Bucket(int(b) * step_ms / 1000.0, int(count), int(errors), float(mean))
                )
    return series
