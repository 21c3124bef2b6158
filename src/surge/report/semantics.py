"""Semantics: each way the report may depart from JMeter, as one named decision.

``--jmeter-compat`` selects :meth:`Semantics.jmeter` (JMeter's numbers, quirks included); the
default is :meth:`Semantics.exact`. ReportOptions builds the object once; the tables, the charts
and the loader read its fields (``semantics.percentiles is Percentiles.WINDOWED``), never the
option. docs/report-differences.md describes every field under the same name, with JMeter's
behaviour, ours, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

# Per-label charts draw this many labels (those with the most samples) and one series for all the
# others, so a chart page stays small whatever the number of labels.
DEFAULT_CHART_LABELS = 20
# JMeter draws every label. The JMeter-compatible mode does too up to this many (every JMeter
# fixture has fewer), and folds the rest beyond: a file labelled by URL, with 100,000 labels, would
# otherwise need gigabytes for a percentile curve of 1,000 points per label.
COMPAT_CHART_LABELS = 100


class Percentiles(Enum):
    """Median and percentiles of the Statistics table, Percentiles Over Time and the Vs Request charts."""

    WINDOWED = "LEGACY estimator over the last statistic_window samples of each row, bucket or point"
    EXACT = "every sample: the smallest time with more than p % of the samples at or below it"


class LabelRows(Enum):
    """The table rows of a label used both by a transaction controller and by a sampler."""

    ONE_ROW = "one row mixing both, flagged as the label's first sample"
    SPLIT = "a controller row and a sampler row"


class Throughput(Enum):
    """What Transactions/s, Received and Sent of a Statistics row are divided by."""

    ROW_SPAN = "the row's own first start to last end"
    TEST_DURATION = "the test's first start to last end"


class ApdexTotal(Enum):
    """Which samples the APDEX Total counts, and with which thresholds."""

    EVERY_SAMPLE = "every sample, transaction controllers included, with the global thresholds"
    REQUESTS = "the Statistics Total's samples, each with its own label's thresholds"


class UndefinedValues(Enum):
    """What a value that does not exist (a division by zero) becomes."""

    JAVA = "NaN or Infinity, computed in JMeter's order of double operations"
    EMPTY = "an empty cell, with a note saying why"


class ErrorKeys(Enum):
    """The text of an error type (Errors and Top 5 tables)."""

    HTML_ESCAPED = "message parts escaped with HTML 4 entities"
    RAW = "the text as in the results file"


class Top5Rows(Enum):
    """Which labels get a row in Top 5 Errors by sampler."""

    EVERY_LABEL = "every label, an empty row when it has no error"
    WITH_ERRORS = "labels with at least one error"


class RowOrder(Enum):
    """The order of table rows and of error types."""

    HASHMAP = "java.util.HashMap order, ties as JMeter breaks them"
    SORTED = "by label, errors by count then text"


class EmptyControllers(Enum):
    """Transaction-controller samples of a controller that ran no child."""

    JMETER = "ignored but for JMeter's traces: rows, series, zero buckets and bands, curve samples"
    IGNORED = "ignored everywhere"


class Granularity(Enum):
    """The over-time bucket width when --granularity is not given."""

    JMETER_60S = "60 s"
    FROM_DURATION = "chosen from the test duration, a few hundred buckets"


class EmptyBuckets(Enum):
    """Time buckets of the test in which no sample ended."""

    OMITTED = "left out (the line runs straight across)"
    FILLED = "0 in rate charts, a gap in mean charts"


class PercentileCurve(Enum):
    """The points of the Response Time Percentiles chart."""

    JMETER = "0.0 to 99.9, shares accumulated in floating point"
    EXACT_TO_MAX = "0.0 to 99.9 from integer counts, plus 100 (the maximum)"


class TotalTps(Enum):
    """Which samples Total Transactions Per Second counts."""

    EVERY_SAMPLE = "requests and transaction controllers"
    REQUESTS = "requests only"


class SeriesCreation(Enum):
    """When a chart has a series that has no point."""

    ON_FIRST_SAMPLE = "a series exists once a sample reaches it, with or without a point; not before"
    BY_CONTENT = "a chart's fixed series always; a label's series when it has a point"


class GraphBounds(Enum):
    """minX, maxX, minY and maxY of a chart's data."""

    JAVA_START = "from Java's Double.MAX_VALUE and Double.MIN_VALUE (5e-324)"
    DATA = "of the drawn points, 0 when there are none"


class HeaderlessFirstRow(Enum):
    """The first row of a results file without a header line."""

    DROPPED = "left out (JMeter reads it as a header)"
    KEPT = "read as a sample"


@dataclass(frozen=True)
class Semantics:
    """One field per documented difference from JMeter (docs/report-differences.md, same names)."""

    percentiles: Percentiles
    label_rows: LabelRows
    throughput: Throughput
    apdex_total: ApdexTotal
    undefined_values: UndefinedValues
    error_keys: ErrorKeys
    top5_rows: Top5Rows
    row_order: RowOrder
    empty_controllers: EmptyControllers
    granularity: Granularity
    empty_buckets: EmptyBuckets
    percentile_curve: PercentileCurve
    total_tps: TotalTps
    series_creation: SeriesCreation
    graph_bounds: GraphBounds
    headerless_first_row: HeaderlessFirstRow
    # Labels (response codes, thread groups) per-label charts draw one by one when --chart-labels
    # is not given; the others are folded into one series.
    chart_labels: int
    # The surge-only Queue Time Over Time chart (open-model runs).
    queue_time_chart: bool

    @classmethod
    def jmeter(cls) -> Semantics:
        """JMeter's numbers, quirks included (``--jmeter-compat``)."""
        return cls(
            percentiles=Percentiles.WINDOWED,
            label_rows=LabelRows.ONE_ROW,
            throughput=Throughput.ROW_SPAN,
            apdex_total=ApdexTotal.EVERY_SAMPLE,
            undefined_values=UndefinedValues.JAVA,
            error_keys=ErrorKeys.HTML_ESCAPED,
            top5_rows=Top5Rows.EVERY_LABEL,
            row_order=RowOrder.HASHMAP,
            empty_controllers=EmptyControllers.JMETER,
            granularity=Granularity.JMETER_60S,
            empty_buckets=EmptyBuckets.OMITTED,
            percentile_curve=PercentileCurve.JMETER,
            total_tps=TotalTps.EVERY_SAMPLE,
            series_creation=SeriesCreation.ON_FIRST_SAMPLE,
            graph_bounds=GraphBounds.JAVA_START,
            headerless_first_row=HeaderlessFirstRow.DROPPED,
            chart_labels=COMPAT_CHART_LABELS,
            queue_time_chart=False,
        )

    @classmethod
    def exact(cls) -> Semantics:
        """The default: exact percentiles, consistent totals, every sample counted once."""
        return cls(
            percentiles=Percentiles.EXACT,
            label_rows=LabelRows.SPLIT,
            throughput=Throughput.TEST_DURATION,
            apdex_total=ApdexTotal.REQUESTS,
            undefined_values=UndefinedValues.EMPTY,
            error_keys=ErrorKeys.RAW,
            top5_rows=Top5Rows.WITH_ERRORS,
            row_order=RowOrder.SORTED,
            empty_controllers=EmptyControllers.IGNORED,
            granularity=Granularity.FROM_DURATION,
            empty_buckets=EmptyBuckets.FILLED,
            percentile_curve=PercentileCurve.EXACT_TO_MAX,
            total_tps=TotalTps.REQUESTS,
            series_creation=SeriesCreation.BY_CONTENT,
            graph_bounds=GraphBounds.DATA,
            headerless_first_row=HeaderlessFirstRow.KEPT,
            chart_labels=DEFAULT_CHART_LABELS,
            queue_time_chart=True,
        )

    def describe(self) -> str:
        """The report's "Mode" line."""
        if self == Semantics.jmeter():
            return "JMeter-compatible (windowed LEGACY percentiles, JMeter's totals)"
        exact = Semantics.exact()
        if self == exact:
            return "exact (percentiles over all samples)"
        changed = [f.name for f in fields(self) if getattr(self, f.name) != getattr(exact, f.name)]
        return "exact, except " + ", ".join(changed)
