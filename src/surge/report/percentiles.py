"""Percentiles in DuckDB SQL for the tables and the charts: exact, or JMeter's windowed LEGACY estimator.

Every percentile of the report is read from a value histogram (one row per group and distinct
value, with its count): values are integers (ms), so a percentile read from the histogram equals
the one over the raw samples, while the heavy work is a hash aggregate instead of a sort.

Exact (default mode): the smallest value v such that more than p % of the samples are <= v, i.e.
the value at 1-based rank floor(q*n)+1 of the sorted values (capped at n); an observed value, in
integer arithmetic. The Statistics table, the percentile charts and the Response Time Percentiles
curve share it, so the table's 90th pct is the curve's 90.0 point.

JMeter (commons-math ``Percentile`` with ``EstimationType.LEGACY`` over a ``DescriptiveStatistics``
window): only the *last* ``statistic_window`` values of each group (file order, ``row_id``) count.
With sorted values x1..xn and pos = (p/100)·(n+1): pos < 1 → x1, pos ≥ n → xn, else
x⌊pos⌋ + (pos − ⌊pos⌋)·(x⌊pos⌋+1 − x⌊pos⌋), in the same double operations as Java, so results are
bit-identical. :func:`last_rows` restricts a histogram to each group's window without sorting or
listing the values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from surge.report.semantics import Percentiles

_BLOCK_ROWS = 8192  # row_id block size for locating the start of each window
_CUTOFFS = "_surge_window_cutoffs"


def fraction_sql(percent: float) -> str:
    """``percent / 100`` as the exact double Java computes (a bare 0.999 would be a DECIMAL)."""
    return f"CAST('{float(percent) / 100.0!r}' AS DOUBLE)"


def exact_fraction(p: float) -> Fraction:
    """``p`` percent as an exact fraction of its decimal text: 99.9 -> 999/1000."""
    return Fraction(repr(float(p))) / 100


def percent_text(p: float) -> str:
    """A percent as JMeter prints its property: ``90`` → ``90``, ``99.9`` → ``99.9``."""
    return str(int(p)) if float(p).is_integer() else repr(float(p))


def percentile_label(p: float) -> str:
    """JMeter's series label for a percentile: ``90`` → ``90th percentile``."""
    return f"{percent_text(p)}th percentile"


def histogram_percentiles_sql(
    hist: str, keys: Sequence[str], percents: Sequence[float], method: Percentiles
) -> str:
    """Query: per group of ``keys``, ``n``, min, max and each percentile from a value histogram.

    ``hist`` is a query with columns ``keys..., v, cnt`` (one row per group and distinct value).
    ``Percentiles.WINDOWED``: the LEGACY estimator over every value of ``hist`` (window it first
    with :func:`last_rows`); ``Percentiles.EXACT``: the exact definition. Output columns:
    ``keys..., n, mn, mx, p0, p1, ...``.
    """
    k = ", ".join(keys)
    picks: list[str] = []
    finals: list[str] = []
    for i, p in enumerate(percents):
        if method is Percentiles.WINDOWED:
            # commons-math special-cases p = 100 to pos = n
            pos = "CAST(n AS DOUBLE)" if float(p) == 100.0 else f"({fraction_sql(p)} * CAST(n + 1 AS DOUBLE))"
            rank = f"CAST(floor({pos}) AS BIGINT)"  # 1-based rank of the lower neighbour
            frac = f"({pos} - floor({pos}))"
            finals.append(
                f"CASE WHEN {pos} < 1 THEN CAST(mn AS DOUBLE)"
                f" WHEN {pos} >= n THEN CAST(mx AS DOUBLE)"
                f" ELSE CAST(a{i} AS DOUBLE) + {frac} * (CAST(b{i} AS DOUBLE)"
                f" - CAST(a{i} AS DOUBLE)) END AS p{i}"
            )
            picks.append(f"min(v) FILTER (WHERE cum >= {rank}) AS a{i}")
            picks.append(f"min(v) FILTER (WHERE cum >= {rank} + 1) AS b{i}")
        else:
            # smallest value with more than p % of the samples at or below it, in integers; p = 100
            # never passes the test: the maximum
            f = exact_fraction(p)
            picks.append(f"min(v) FILTER (WHERE cum * {f.denominator} > {f.numerator} * n) AS a{i}")
            finals.append(f"CAST(coalesce(a{i}, mx) AS DOUBLE) AS p{i}")
    return (
        f"WITH c AS (SELECT {k}, v, cnt,"
        f" sum(cnt) OVER (PARTITION BY {k} ORDER BY v ROWS UNBOUNDED PRECEDING) AS cum,"
        f" sum(cnt) OVER (PARTITION BY {k}) AS n FROM ({hist})),"
        f" r AS (SELECT {k}, any_value(n) AS n, min(v) AS mn, max(v) AS mx, {', '.join(picks)}"
        f" FROM c GROUP BY {k})"
        f" SELECT {k}, n, mn, mx, {', '.join(finals)} FROM r"
    )


@dataclass(frozen=True)
class Windows:
    """Where each group's window starts: the first ``row_id`` of its last ``window`` rows."""

    keys: tuple[str, ...]
    cutoffs: str | None  # table (keys..., cutoff) of the groups with more than ``window`` rows
    first_cutoff: int

    def histogram(self, rows: str, hist: str) -> str:
        """``hist`` (keys..., v, cnt over all rows) with each windowed group recounted from ``rows``
        (keys..., row_id, v) from its cutoff on."""
        if self.cutoffs is None:
            return hist
        k = ", ".join(self.keys)
        # The constant lower bound lets DuckDB skip every row group before the earliest window.
        return f"""SELECT {k}, v, cnt FROM ({hist}) ANTI JOIN {self.cutoffs} USING ({k})
            UNION ALL
            SELECT {k}, v, count(*) AS cnt
            FROM (SELECT * FROM ({rows}) WHERE row_id >= {self.first_cutoff}) JOIN {self.cutoffs} USING ({k})
            WHERE row_id >= cutoff GROUP BY ALL"""


@contextmanager
def last_rows(con: Any, rows: str, keys: Sequence[str], window: int) -> Iterator[Windows]:
    """Find the start of the window of each group of ``rows`` (keys..., row_id) larger than ``window``.

    No list of ``window`` values is built and nothing is sorted per group: counts per block of
    row_ids find the block where each window starts, and one small query over those blocks finds
    its exact first row_id. The cutoff table is dropped on exit.
    """
    k = ", ".join(keys)
    boundary = f"""SELECT {k}, blk, {int(window)} - (cum - c) AS nth FROM (
            SELECT {k}, blk, c,
                   sum(c) OVER (PARTITION BY {k} ORDER BY blk DESC ROWS UNBOUNDED PRECEDING) AS cum
            FROM (SELECT {k}, row_id // {_BLOCK_ROWS} AS blk, count(*) AS c FROM ({rows}) GROUP BY ALL))
        WHERE cum >= {int(window)} AND cum - c < {int(window)}"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_CUTOFFS}_blocks AS {boundary}")
    try:
        first_block = con.execute(f"SELECT min(blk) FROM {_CUTOFFS}_blocks").fetchone()[0]
        if first_block is None:
            yield Windows(tuple(keys), None, 0)
            return
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_CUTOFFS} AS
                SELECT {k}, row_id AS cutoff
                FROM (SELECT * FROM ({rows}) WHERE row_id >= {int(first_block) * _BLOCK_ROWS})
                JOIN {_CUTOFFS}_blocks USING ({k})
                WHERE row_id // {_BLOCK_ROWS} = blk
                QUALIFY row_number() OVER (PARTITION BY {k} ORDER BY row_id DESC) = nth"""
        )
        first_cutoff = int(con.execute(f"SELECT min(cutoff) FROM {_CUTOFFS}").fetchone()[0])
        yield Windows(tuple(keys), _CUTOFFS, first_cutoff)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_CUTOFFS}")
        con.execute(f"DROP TABLE IF EXISTS {_CUTOFFS}_blocks")
