"""Percentile expressions in DuckDB SQL: JMeter's windowed LEGACY estimator and exact quantiles.

JMeter (commons-math ``DescriptiveStatistics`` with a window, estimator LEGACY) keeps only the last
``window`` values added (file order) and, with sorted values x1..xn, takes pos = (p/100)·(n+1):
pos < 1 → x1, pos ≥ n → xn, else x⌊pos⌋ + (pos − ⌊pos⌋)·(x⌊pos⌋+1 − x⌊pos⌋). The SQL below does
the same double operations in the same order so results are bit-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


def fraction_sql(percent: float) -> str:
    """``percent / 100`` as the exact double Java computes (a bare 0.999 would be a DECIMAL)."""
    return f"CAST('{float(percent) / 100.0!r}' AS DOUBLE)"


def windowed_sorted_list_sql(value: str, order: str, window: int) -> str:
    """Aggregate: the values of the last ``window`` rows by ``order`` (file order), sorted ascending.

    ``arg_max(value, order, n)`` keeps a bounded heap per group: one streaming pass, no full sort.
    """
    return f"list_sort(arg_max({value}, {order}, {int(window)}))"


def sorted_list_sql(value: str) -> str:
    """Aggregate: every value, sorted ascending (when no group exceeds the window)."""
    return f"list_sort(list({value}))"


def legacy_percentile_sql(xs: str, p: float) -> str:
    """Scalar: LEGACY percentile ``p`` (0 < p ≤ 100) of the sorted BIGINT list ``xs``."""
    n = f"len({xs})"
    q = fraction_sql(p)
    # commons-math special-cases p = 100 to pos = n
    pos = f"CAST({n} AS DOUBLE)" if float(p) == 100.0 else f"({q} * CAST({n} + 1 AS DOUBLE))"
    lo = f"CAST(floor({pos}) AS BIGINT)"
    return (
        f"(CASE WHEN {n} = 0 THEN NULL"
        f" WHEN {pos} < 1 THEN CAST({xs}[1] AS DOUBLE)"
        f" WHEN {pos} >= {n} THEN CAST({xs}[{n}] AS DOUBLE)"
        f" ELSE CAST({xs}[{lo}] AS DOUBLE) + ({pos} - floor({pos}))"
        f" * (CAST({xs}[{lo} + 1] AS DOUBLE) - CAST({xs}[{lo}] AS DOUBLE)) END)"
    )


def exact_fraction(p: float) -> Fraction:
    """``p`` percent as an exact fraction of its decimal text: 99.9 -> 999/1000."""
    return Fraction(repr(float(p))) / 100


def percentile_label(p: float) -> str:
    """JMeter's series label text for a percentile: ``90`` → ``90th percentile``, ``99.9`` → ``99.9th``."""
    text = str(int(p)) if float(p).is_integer() else repr(float(p))
    return f"{text}th percentile"


def histogram_percentiles_sql(hist: str, keys: Sequence[str], percents: Sequence[float], legacy: bool) -> str:
    """Query: per group of ``keys``, ``n``, min, max and each percentile from a value histogram.

    ``hist`` is a relation with columns ``keys..., v, cnt`` (one row per distinct value). Values are
    integers (ms), so percentiles read from the histogram equal those over the raw samples, while
    the heavy work is a hash aggregate instead of a sort. With ``legacy`` the LEGACY estimator
    (no window: the caller checks no group exceeds it), else the exact definition shared with the
    Statistics table and the Response Time Percentiles curve: the smallest value v such that more
    than p % of the samples are <= v (an observed value, no interpolation). Output columns:
    ``keys..., n, mn, mx, p0, p1, ...``.
    """
    k = ", ".join(keys)
    picks: list[str] = []
    finals: list[str] = []
    for i, p in enumerate(percents):
        q = fraction_sql(p)
        if legacy:
            pos = "CAST(n AS DOUBLE)" if float(p) == 100.0 else f"({q} * CAST(n + 1 AS DOUBLE))"
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
