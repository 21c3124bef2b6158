"""SQL for the Statistics table's percentiles: exact (default) or JMeter's windowed LEGACY estimator.

Default mode: ``quantile_cont``, i.e. linear interpolation between the two closest ranks over *all*
samples (R-7, numpy's and Excel PERCENTILE.INC's definition): for sorted x1..xn and fraction q,
h = (n-1)q + 1 and the result is x⌊h⌋ + (h-⌊h⌋)(x⌊h⌋+1 - x⌊h⌋).

JMeter-compatible mode: commons-math ``Percentile`` with ``EstimationType.LEGACY`` over a
``DescriptiveStatistics`` sliding window, i.e. over the *last* ``statistic_window`` samples of each row
in file order (row_id). With sorted window values x1..xn: pos = q(n+1); pos < 1 gives x1, pos >= n
gives xn, otherwise x⌊pos⌋ + (pos-⌊pos⌋)(x⌊pos⌋+1 - x⌊pos⌋). The window is taken with
``arg_max(elapsed_ms, row_id, window)`` (a bounded heap per group, one streaming pass, no sort of
the whole table), then sorted.
"""

from __future__ import annotations

from collections.abc import Sequence


def fraction_sql(percent: float) -> str:
    """The double ``percent / 100`` exactly as Java computes ``p / 100d``, as a SQL literal."""
    return f"CAST('{percent / 100.0!r}' AS DOUBLE)"


def window_list_sql(window: int, condition: str) -> str:
    """Aggregate: the sorted elapsed times of the last ``window`` rows (file order) matching ``condition``."""
    return f"list_sort(arg_max(elapsed_ms, row_id, {int(window)}) FILTER (WHERE {condition}))"


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


def exact_list_sql(percents: Sequence[float], condition: str) -> str:
    """Aggregate: exact percentiles (``quantile_cont``) as a DOUBLE list, NULL when no row matches."""
    fractions = ", ".join(fraction_sql(p) for p in percents)
    return f"quantile_cont(elapsed_ms, [{fractions}]) FILTER (WHERE {condition})"


def exact_percentile_sql(column: str, percent: float) -> str:
    """Aggregate for other modules (e.g. charts) that want the table's default-mode definition."""
    return f"quantile_cont({column}, {fraction_sql(percent)})"
