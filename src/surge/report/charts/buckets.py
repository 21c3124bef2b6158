"""Choose the time-bucket width of over-time charts and express bucketing in SQL."""

from __future__ import annotations

from typing import Any

from surge.report.options import ReportOptions
from surge.report.semantics import Granularity

# JMeter's jmeter.reportgenerator.overall_granularity default.
JMETER_GRANULARITY_MS = 60_000

# Widths a reader recognises at a glance, smallest first.
NICE_STEPS_MS: tuple[int, ...] = (
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
)

# An over-time chart of a multi-hour run should carry a few hundred points per series: enough to see
# the shape, light enough for the browser (one point per second would be 10k+ per series).
MAX_BUCKETS = 400


def choose_granularity_ms(duration_ms: int, max_buckets: int = MAX_BUCKETS) -> int:
    """Smallest nice step that keeps ``duration_ms`` within ``max_buckets`` buckets (never below 1 s)."""
    for step in NICE_STEPS_MS:
        if duration_ms <= step * max_buckets:
            return step
    days = -(-duration_ms // (86_400_000 * max_buckets))
    return int(days * 86_400_000)


def granularity_ms(con: Any, options: ReportOptions) -> int:
    """The over-time bucket width: the option if given, else JMeter's 60 s or one that suits the test."""
    if options.granularity_ms is not None:
        return int(options.granularity_ms)
    if options.semantics.granularity is Granularity.JMETER_60S:
        return JMETER_GRANULARITY_MS
    row = con.execute(
        "SELECT coalesce(max(end_ms) - min(start_ms), 0) FROM samples WHERE in_label_filter"
    ).fetchone()
    return choose_granularity_ms(int(row[0]) if row else 0)


def bucket_sql(column: str, step_ms: int) -> str:
    """Epoch-aligned bucket key, as JMeter: ``t - (t mod granularity)`` (t is never negative here)."""
    return f"({column} - ({column} % {int(step_ms)}))"


def bucket_range(first_ms: int, last_ms: int, step_ms: int) -> range:
    """Every bucket key from ``first_ms`` to ``last_ms`` inclusive (both already bucket keys)."""
    return range(first_ms, last_ms + step_ms, step_ms)
