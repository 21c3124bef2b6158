"""ReportOptions: every setting that changes what the report computes or shows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApdexRule:
    """Per-label APDEX thresholds: ``pattern`` is a regex that must match the whole label."""

    pattern: str
    satisfied_ms: int
    tolerated_ms: int


@dataclass(frozen=True)
class ReportOptions:
    title: str = "surge dashboard"
    # JMeter-compatible numbers, quirks included (spec §6); otherwise exact and consistent.
    jmeter_compat: bool = False
    apdex_satisfied_ms: int = 500
    apdex_tolerated_ms: int = 1500
    apdex_rules: tuple[ApdexRule, ...] = ()
    # None: chosen from the test duration so over-time charts have a useful number of points.
    granularity_ms: int | None = None
    percentiles: tuple[float, float, float] = (90.0, 95.0, 99.0)
    include_labels: str | None = None  # regex, full match (JMeter's sample_filter)
    exclude_labels: str | None = None  # regex, full match
    start_ms: int | None = None  # keep samples whose start is >= this (epoch ms)
    end_ms: int | None = None  # keep samples whose start is <= this (epoch ms)
    timestamp_is_start: bool = True  # JMeter's shipped sampleresult.timestamp.start=true
    # Pattern for non-epoch timestamps (Java SimpleDateFormat syntax), interpreted in ``timezone``.
    timestamp_format: str | None = None
    timezone: str = "UTC"  # IANA name used to display times and to read zone-less dates
    # JMeter's percentile window for the Statistics table in compat mode.
    statistic_window: int = 20000
    source_names: tuple[str, ...] = field(default=())
