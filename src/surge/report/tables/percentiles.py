"""SQL for the Statistics table's percentiles: exact (default) or JMeter's windowed LEGACY estimator.

Default mode: exact, over *all* samples, with the definition of the Response Time Percentiles chart
(so the table's 90th pct is the chart's 90.0 point): the smallest elapsed time v such that more than
p % of the samples are <= v, i.e. the value at 1-based rank floor(q*n)+1 of the sorted values (capped
at n). It is computed from a per-(label, elapsed) histogram with a running count, in exact integer
arithmetic, so it is cheap even for 10M rows (a few thousand distinct elapsed values per label).

JMeter-compatible mode: commons-math ``Percentile`` with ``EstimationType.LEGACY`` over a
``DescriptiveStatistics`` sliding window, i.e. over the *last* ``statistic_window`` samples of each row
in file order (row_id). With sorted window values x1..xn: pos = q(n+1); pos < 1 gives x1, pos >= n
gives xn, otherwise x⌊pos⌋ + (pos-⌊pos⌋)(x⌊pos⌋+1 - x⌊pos⌋). The window is taken with
``arg_max(elapsed_ms, row_id, window)`` (a bounded heap per group, one streaming pass, no sort of
the whole table), then sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any


def fraction_sql(percent: float) -> str:
    """The double ``percent / 100`` exactly as Java computes ``p / 100d``, as a SQL literal."""
    return f"CAST('{percent / 100.0!r}' AS DOUBLE)"


def window_list_sql(window: int) -> str:
    """Aggregate: the sorted elapsed times of the last ``window`` rows of the group (file order)."""
    return f"list_sort(arg_max(elapsed_ms, row_id, {int(window)}))"


def legacy_from_sorted_sql(sorted_list: str, percent: float) -> str:
    """LEGACY estimate from a sorted BIGINT list expression; NULL for an empty list (JMeter: NaN)."""
    n = f"len({sorted_list})"
    pos = f"({fraction_sql(percent)} * CAST({n} + 1 AS DOUBLE))"
    lower_index = f"CAST(floor({pos}) AS BIGINT)"
    lower = f"CAST({sorted_list}[{lower_index}] AS DOUBLE)"
    upper = f"CAST({sorted_list}[{lower_index} + 1] AS DOUBLE)"
    return (
        f"CASE WHEN {n} = 0 THEN NULL"
        f" WHEN {pos} < 1 THEN CAST({sorted_list}[1] AS DOUBLE)"
        f" WHEN {pos} >= {n} THEN CAST({sorted_list}[{n}] AS DOUBLE)"
        f" ELSE {lower} + ({pos} - floor({pos})) * ({upper} - {lower}) END"
    )


def exact_percentiles(
    con: Any, where: str, percents: Sequence[float], by_label: bool
) -> dict[tuple[str | None, bool | None], list[float]]:
    """Exact percentiles (the chart's definition) of ``samples`` rows matching ``where``.

    Keyed by (label, is_controller) when ``by_label``, else by (None, None) (one overall group).
    """
    group = "label, is_controller" if by_label else "NULL::VARCHAR AS label, NULL::BOOLEAN AS is_controller"
    conditions = []
    for p in percents:
        q = Fraction(repr(float(p))) / 100  # exact: 99.9 -> 999/1000
        # smallest value whose running count exceeds q*n; q = 1 never does: fall back to the maximum
        conditions.append(
            f"coalesce(min(elapsed_ms) FILTER (WHERE cum * {q.denominator} > {q.numerator} * n),"
            " max(elapsed_ms))"
        )
    sql = f"""
        SELECT label, is_controller, {", ".join(conditions)}
        FROM (
            SELECT label, is_controller, elapsed_ms,
                   sum(c) OVER (PARTITION BY label, is_controller ORDER BY elapsed_ms
                                ROWS UNBOUNDED PRECEDING) AS cum,
                   sum(c) OVER (PARTITION BY label, is_controller) AS n
            FROM (SELECT {group}, elapsed_ms, count(*) AS c FROM samples WHERE {where}
                  GROUP BY ALL)
        ) GROUP BY label, is_controller"""
    return {(row[0], row[1]): [float(v) for v in row[2:]] for row in con.execute(sql).fetchall()}
