"""SQL for the Statistics table's percentiles: exact (default) or JMeter's windowed LEGACY estimator.

Default mode: exact, over *all* samples, with the definition of the Response Time Percentiles chart
(so the table's 90th pct is the chart's 90.0 point): the smallest elapsed time v such that more than
p % of the samples are <= v, i.e. the value at 1-based rank floor(q*n)+1 of the sorted values (capped
at n). It is computed from a per-(label, elapsed) histogram with a running count, in exact integer
arithmetic, from the per-(label, elapsed) histogram the tables already build, so it costs no extra
pass over the samples.

JMeter-compatible mode: commons-math ``Percentile`` with ``EstimationType.LEGACY`` over a
``DescriptiveStatistics`` sliding window, i.e. over the *last* ``statistic_window`` samples of each row
in file order (row_id). With sorted window values x1..xn: pos = q(n+1); pos < 1 gives x1, pos >= n
gives xn, otherwise x⌊pos⌋ + (pos-⌊pos⌋)(x⌊pos⌋+1 - x⌊pos⌋). No list of 20,000 values is
built and nothing is sorted per row: a group with at most ``window`` samples uses the histogram the
tables already have; for a larger group, counts per block of row_ids find the block where its window
starts, one small query finds the exact first row_id of the window (the cutoff) and a histogram of
the rows from there on replaces the group's. Running counts over the histogram give the order
statistics x⌊pos⌋ and x⌊pos⌋+1; the interpolation is done in Python with Java's double operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

_BLOCK_ROWS = 8192  # row_id block size for locating the start of each window
_PREFIX = "_surge_tables_"  # temp tables of this module


def exact_percentiles(
    con: Any, histogram: str, percents: Sequence[float]
) -> dict[tuple[Any, Any], list[float]]:
    """Exact percentiles (the chart's definition) per group of a histogram.

    ``histogram``: a subquery with columns k1, k2 (the group key), elapsed_ms, c (count).
    """
    conditions = []
    for p in percents:
        q = Fraction(repr(float(p))) / 100  # exact: 99.9 -> 999/1000
        # smallest value whose running count exceeds q*n; q = 1 never does: fall back to the maximum
        conditions.append(
            f"coalesce(min(elapsed_ms) FILTER (WHERE cum * {q.denominator} > {q.numerator} * n),"
            " max(elapsed_ms))"
        )
    sql = f"""
        SELECT k1, k2, {", ".join(conditions)}
        FROM (
            SELECT k1, k2, elapsed_ms,
                   sum(c) OVER (PARTITION BY k1, k2 ORDER BY elapsed_ms ROWS UNBOUNDED PRECEDING) AS cum,
                   sum(c) OVER (PARTITION BY k1, k2) AS n
            FROM {histogram}
        ) GROUP BY k1, k2"""
    return {(row[0], row[1]): [float(v) for v in row[2:]] for row in con.execute(sql).fetchall()}


def _temp_table(con: Any, name: str, columns: dict[str, tuple[str, list[Any]]]) -> str:
    """Create (or replace) a temp table from Python lists; returns its name."""
    table = _PREFIX + name
    select = ", ".join(
        f"unnest(${i + 1}::{sql_type}[]) AS {col}" for i, (col, (sql_type, _)) in enumerate(columns.items())
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select}", [v for _, v in columns.values()])
    return table


def _window_cutoffs(con: Any, rows: str, big: dict[str, int], window: int) -> dict[str, int]:
    """First row_id of the window of each group in ``big`` (groups with more than ``window`` rows).

    ``rows``: a subquery with columns grp, row_id (and elapsed_ms) over every row of every group.
    """
    groups = _temp_table(con, "window_groups", {"grp": ("VARCHAR", list(big))})
    blocks: dict[str, list[tuple[int, int]]] = {}
    for grp, block, count in con.execute(
        f"SELECT grp, row_id // {_BLOCK_ROWS}, count(*) FROM {rows} WHERE grp IN (SELECT grp FROM {groups})"
        " GROUP BY ALL"
    ).fetchall():
        blocks.setdefault(grp, []).append((int(block), int(count)))
    con.execute(f"DROP TABLE {groups}")
    boundary: list[tuple[str, int, int]] = []  # (group, block holding the window's first row, rank in it)
    for grp, items in blocks.items():
        seen = 0
        for block, count in sorted(items, reverse=True):
            if seen + count >= window:
                boundary.append((grp, block, window - seen))
                break
            seen += count
    table = _temp_table(
        con,
        "window_boundary",
        {
            "grp": ("VARCHAR", [b[0] for b in boundary]),
            "blk": ("BIGINT", [b[1] for b in boundary]),
            "k": ("BIGINT", [b[2] for b in boundary]),
        },
    )
    first_row = min(b[1] for b in boundary) * _BLOCK_ROWS
    found = con.execute(
        f"""SELECT b.grp, s.row_id
            FROM (SELECT grp, row_id FROM {rows} WHERE row_id >= {first_row}) s
            JOIN {table} b ON s.grp = b.grp AND s.row_id // {_BLOCK_ROWS} = b.blk
            QUALIFY row_number() OVER (PARTITION BY b.grp ORDER BY s.row_id DESC) = b.k"""
    ).fetchall()
    con.execute(f"DROP TABLE {table}")
    return {grp: int(row_id) for grp, row_id in found}


def legacy_window_percentiles(
    con: Any,
    histogram: str,
    rows: str,
    sizes: dict[str, int],
    percents: Sequence[float],
    window: int,
) -> dict[str, list[float]]:
    """JMeter's windowed LEGACY percentiles per group.

    ``histogram``: subquery (grp, elapsed_ms, c) over all rows of each group; ``rows``: subquery
    (grp, row_id, elapsed_ms) over the same rows, only read for groups with more than ``window`` rows;
    ``sizes``: rows per group. Groups of size 0 are left out.
    """
    sizes = {grp: n for grp, n in sizes.items() if n > 0}
    if not sizes:
        return {}
    big = {grp: n for grp, n in sizes.items() if n > window}
    windowed = histogram
    cut = ""
    if big:
        cutoffs = _window_cutoffs(con, rows, big, window)
        cut = _temp_table(
            con,
            "window_cutoffs",
            {"grp": ("VARCHAR", list(cutoffs)), "cutoff": ("BIGINT", list(cutoffs.values()))},
        )
        # The constant lower bound lets DuckDB skip every row group before the earliest window.
        windowed = f"""(SELECT grp, elapsed_ms, c FROM {histogram} WHERE grp NOT IN (SELECT grp FROM {cut})
            UNION ALL
            SELECT s.grp, s.elapsed_ms, count(*) AS c
            FROM (SELECT * FROM {rows} WHERE row_id >= {min(cutoffs.values())}) s
            JOIN {cut} w ON s.grp = w.grp
            WHERE s.row_id >= w.cutoff GROUP BY ALL)"""
    # Ranks (1-based) of the order statistics each percentile needs, computed as Java does.
    needed: dict[str, list[tuple[float, int, int]]] = {}  # grp -> [(pos, lower rank, upper rank)]
    rank_grp: list[str] = []
    rank_k: list[int] = []
    for grp, size in sizes.items():
        n = min(size, window)
        entries = []
        for p in percents:
            pos = (p / 100.0) * float(n + 1)
            if pos < 1:
                lower = upper = 1
            elif pos >= n:
                lower = upper = n
            else:
                lower = math.floor(pos)
                upper = lower + 1
            entries.append((pos, lower, upper))
            for k in {lower, upper}:
                rank_grp.append(grp)
                rank_k.append(k)
        needed[grp] = entries
    ranks = _temp_table(con, "window_ranks", {"grp": ("VARCHAR", rank_grp), "k": ("BIGINT", rank_k)})
    values: dict[tuple[str, int], int] = {}
    for grp, k, elapsed in con.execute(
        f"""SELECT r.grp, r.k, h.elapsed_ms
            FROM (SELECT grp, elapsed_ms, c,
                         sum(c) OVER (PARTITION BY grp ORDER BY elapsed_ms ROWS UNBOUNDED PRECEDING) AS cum
                  FROM (SELECT grp, elapsed_ms, sum(c) AS c FROM {windowed} GROUP BY ALL)) h
            JOIN (SELECT DISTINCT grp, k FROM {ranks}) r
              ON h.grp = r.grp AND r.k > h.cum - h.c AND r.k <= h.cum"""
    ).fetchall():
        values[(grp, int(k))] = int(elapsed)
    con.execute(f"DROP TABLE {ranks}")
    if cut:
        con.execute(f"DROP TABLE {cut}")
    result: dict[str, list[float]] = {}
    for grp, entries in needed.items():
        out: list[float] = []
        for pos, lower_rank, upper_rank in entries:
            low = float(values[(grp, lower_rank)])
            high = float(values[(grp, upper_rank)])
            # commons-math Percentile.estimate: lower + (pos - floor(pos)) * (upper - lower)
            out.append(low if lower_rank == upper_rank else low + (pos - math.floor(pos)) * (high - low))
        result[grp] = out
    return result
