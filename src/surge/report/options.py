"""ReportOptions: every setting that changes what the report computes or shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from surge.errors import UsageError

# Per-label charts draw this many labels (those with the most samples) and one series for all the
# others, so a chart page stays small whatever the number of labels.
DEFAULT_CHART_LABELS = 20
# JMeter draws every label. The JMeter-compatible mode does too up to this many (every JMeter
# fixture has fewer), and folds the rest beyond: a file labelled by URL, with 100,000 labels, would
# otherwise need gigabytes for a percentile curve of 1,000 points per label.
COMPAT_CHART_LABELS = 100


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
    # Labels drawn one by one in per-label charts (the others are folded into one series). None: the
    # mode's default, DEFAULT_CHART_LABELS or COMPAT_CHART_LABELS; 0: every label.
    chart_labels: int | None = None

    def chart_label_limit(self) -> int | None:
        """How many labels (codes, thread groups) a chart draws one by one; None: all of them."""
        if self.chart_labels is None:
            return COMPAT_CHART_LABELS if self.jmeter_compat else DEFAULT_CHART_LABELS
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
