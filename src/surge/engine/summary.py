"""Run summary per label and in total: samples, errors, mean, percentiles, max, throughput.

Workers send mergeable ``LabelTotals`` (counts, sums and an HDR histogram of microseconds);
``summarize`` merges them across processes (or machines) and derives the figures. Percentiles
come from HDR histograms with 3 significant digits (within 0.1 %); ``surge report`` computes
exact ones from the results file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from surge.engine.histogram import encode, merge_encoded, new_histogram, record_counts
from surge.results.sample import NON_HTTP_CODE_PREFIX

TOTAL_LABEL = "TOTAL"
NO_MIN_US = 1 << 62


@dataclass(frozen=True)
class LabelTotals:
    """Raw, mergeable totals of one label from one worker (picklable; sent once at the end)."""

    label: str
    samples: int
    errors: int
    sum_us: int
    min_us: int
    max_us: int
    received_bytes: int
    sent_bytes: int
    histogram: bytes  # encoded HDR histogram of elapsed times in µs
    error_kinds: tuple[tuple[str, int], ...] = ()  # ("503 Service Unavailable", 12), ...


@dataclass(frozen=True)
class LabelSummary:
    """Figures of one label (or of all, with label ``TOTAL``); times in ms, rates per second."""

    label: str
    samples: int
    errors: int
    error_pct: float
    mean_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rate_per_s: float
    received_kb_per_s: float
    sent_kb_per_s: float


def summarize(
    totals: Iterable[LabelTotals], duration_s: float
) -> tuple[tuple[LabelSummary, ...], LabelSummary]:
    """Merge totals by label and summarize; rates use the run's ``duration_s`` for every label."""
    by_label: dict[str, list[LabelTotals]] = {}
    for item in totals:
        by_label.setdefault(item.label, []).append(item)
    labels = tuple(_summary(label, parts, duration_s) for label, parts in sorted(by_label.items()))
    everything = [item for parts in by_label.values() for item in parts]
    return labels, _summary(TOTAL_LABEL, everything, duration_s)


def top_errors(totals: Iterable[LabelTotals], limit: int = 5) -> tuple[tuple[str, int], ...]:
    """The most frequent error kinds over all labels: (kind, count), most frequent first."""
    counts: Counter[str] = Counter()
    for item in totals:
        for kind, count in item.error_kinds:
            counts[kind] += count
    return tuple(counts.most_common(limit))


def no_response_samples(totals: Iterable[LabelTotals]) -> int:
    """Samples that got no HTTP response at all: the non-HTTP error kinds (refused, timed out...)."""
    return sum(
        count for item in totals for kind, count in item.error_kinds if kind.startswith(NON_HTTP_CODE_PREFIX)
    )


def empty_summary(label: str) -> LabelSummary:
    """The figures of a label without samples: all zero."""
    return LabelSummary(label, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def percentiles_ms(histogram: Any, max_us: int) -> dict[int, float]:
    """p50, p90, p95 and p99 of an HDR histogram of µs, in ms, keyed 50, 90, 95, 99."""
    # HDR reports a bucket's highest equivalent value; never above the exact maximum.
    return {
        k: min(v, max_us) / 1000.0
        for k, v in histogram.get_percentile_to_value_dict([50, 90, 95, 99]).items()
    }


def _summary(label: str, parts: list[LabelTotals], duration_s: float) -> LabelSummary:
    samples = sum(p.samples for p in parts)
    errors = sum(p.errors for p in parts)
    if samples == 0:
        return empty_summary(label)
    histogram = merge_encoded(p.histogram for p in parts if p.samples)
    max_us = max(p.max_us for p in parts)
    pct = percentiles_ms(histogram, max_us)
    per_s = 1.0 / duration_s if duration_s > 0 else 0.0
    return LabelSummary(
        label=label,
        samples=samples,
        errors=errors,
        error_pct=100.0 * errors / samples,
        mean_ms=sum(p.sum_us for p in parts) / samples / 1000.0,
        min_ms=min(p.min_us for p in parts if p.samples) / 1000.0,
        p50_ms=pct[50],
        p90_ms=pct[90],
        p95_ms=pct[95],
        p99_ms=pct[99],
        max_ms=max_us / 1000.0,
        rate_per_s=samples * per_s,
        received_kb_per_s=sum(p.received_bytes for p in parts) / 1024.0 * per_s,
        sent_kb_per_s=sum(p.sent_bytes for p in parts) / 1024.0 * per_s,
    )


class LabelStats:
    """Per-label accumulator: the hot path appends elapsed µs; ``roll`` folds them in each second."""

    __slots__ = (
        "append",
        "elapsed_us",
        "error_kinds",
        "errors",
        "errors_total",
        "histogram",
        "label",
        "max_us",
        "min_us",
        "received",
        "samples",
        "sent",
        "sum_us",
    )

    def __init__(self, label: str) -> None:
        self.label = label
        self.elapsed_us: list[int] = []
        self.append = self.elapsed_us.append
        self.errors = 0  # in the current second
        self.errors_total = 0
        self.error_kinds: Counter[str] = Counter()  # "503 Service Unavailable", "Non HTTP ...: TimeoutError"
        self.samples = 0
        self.sum_us = 0
        self.min_us = NO_MIN_US
        self.max_us = 0
        self.received = 0
        self.sent = 0
        self.histogram = new_histogram()

    def roll(self, second_histogram: Any, label_second_histogram: Any = None) -> tuple[int, int]:
        """Move this second's values into the totals; returns (samples, errors) of the second.

        ``label_second_histogram``, when given, receives this label's values of the second too
        (live per-label threshold checks).
        """
        values = self.elapsed_us
        errors = self.errors
        self.errors = 0
        self.errors_total += errors
        if not values:
            return 0, errors
        counts = Counter(values)
        record_counts(self.histogram, counts)
        record_counts(second_histogram, counts)
        if label_second_histogram is not None:
            record_counts(label_second_histogram, counts)
        n = len(values)
        self.samples += n
        self.sum_us += sum(values)
        self.min_us = min(self.min_us, min(values))
        self.max_us = max(self.max_us, max(values))
        values.clear()
        return n, errors

    def totals(self) -> LabelTotals:
        return LabelTotals(
            label=self.label,
            samples=self.samples,
            errors=self.errors_total,
            sum_us=self.sum_us,
            min_us=self.min_us if self.samples else 0,
            max_us=self.max_us,
            received_bytes=self.received,
            sent_bytes=self.sent,
            histogram=encode(self.histogram),
            error_kinds=tuple(self.error_kinds.items()),
        )
