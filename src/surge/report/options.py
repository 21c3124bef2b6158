"""ReportOptions: every setting that changes what the report computes or shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from surge.errors import UsageError
from surge.report.semantics import COMPAT_CHART_LABELS, DEFAULT_CHART_LABELS, Semantics

__all__ = [
    "COMPAT_CHART_LABELS",
    "DEFAULT_CHART_LABELS",
    "ApdexRule",
    "ReportOptions",
    "Semantics",
    "parse_chart_labels",
]


@dataclass(frozen=True)
class ApdexRule:
    """Per-label APDEX thresholds: ``pattern`` is a regex that must match the whole label."""

    pattern: str
    satisfied_ms: int
    tolerated_ms: int


@dataclass(frozen=True)
class ReportOptions:
    title: str = "surge dashboard"
    # --jmeter-compat: JMeter's numbers, quirks included; otherwise exact and consistent. Read once,
    # into ``semantics``; nothing else reads it.
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
    # JMeter's statistic_window: the samples its windowed percentiles keep (Percentiles.WINDOWED).
    statistic_window: int = 20000
    source_names: tuple[str, ...] = field(default=())
    # The metrics file of a monitored run (surge run --monitor): its Server page. None: the file
    # beside a single results file, if there is one (results.metrics.csv).
    metrics_path: Path | None = None
    # Labels drawn one by one in per-label charts (the others are folded into one series). None: the
    # mode's default (Semantics.chart_labels); 0: every label.
    chart_labels: int | None = None
    # Every decision that differs between JMeter and the default mode, built from ``jmeter_compat``.
    semantics: Semantics = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        chosen = Semantics.jmeter() if self.jmeter_compat else Semantics.exact()
        object.__setattr__(self, "semantics", chosen)  # frozen: set once, here

    def chart_label_limit(self) -> int | None:
        """How many labels (codes, thread groups) a chart draws one by one; None: all of them."""
        if self.chart_labels is None:
            return self.semantics.chart_labels
        return self.chart_labels or None


def parse_chart_labels(text: str) -> int:
    """``--chart-labels``: a positive number, or ``all`` (0)."""
    value = text.strip().lower()
    if value == "all":
        return 0
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 1:
        raise UsageError(f"--chart-labels: expected a positive number or 'all', got {text!r}")
    return count
