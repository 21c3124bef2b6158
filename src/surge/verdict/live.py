"""Live threshold checks for ``--abort-on-fail``: decide, second by second, that a threshold has failed.

The rule (also in docs/run.md):

- A threshold that can no longer pass fails at once, whatever the time: a limit on a value that
  only grows (``errors<N``, ``samples<N``, ``max<T``) that is already broken, or ``min>T`` already
  broken.
- Percentiles, mean, median and ``error_rate`` fail on the data so far, but only after a warm-up
  (``WARMUP_S`` seconds of the run and ``MIN_SAMPLES`` samples of the label), so a cold start or a
  first slow request does not end a run.
- Rates (``rps``) and lower bounds on counts (``samples>N``) are judged at the end only: they can
  still be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from surge.engine.histogram import PROGRESS_DIGITS, new_histogram
from surge.engine.summary import TOTAL_LABEL, LabelSummary, empty_summary, percentiles_ms
from surge.verdict.thresholds import Threshold, ThresholdResult, evaluate

WARMUP_S = 5.0
MIN_SAMPLES = 50

_FINAL_AT_ONCE = {("errors", "<"), ("errors", "<="), ("samples", "<"), ("samples", "<="), ("max", "<"),
                  ("max", "<="), ("min", ">"), ("min", ">=")}  # fmt: skip
_AFTER_WARMUP = {"p50", "med", "median", "p90", "p95", "p99", "avg", "mean", "error_rate"}


@dataclass
class _Live:
    samples: int = 0
    errors: int = 0
    max_us: int = 0
    histogram: Any = field(default_factory=lambda: new_histogram(PROGRESS_DIGITS))


class LiveThresholds:
    """Accumulates per-label seconds and says which threshold, if any, has failed for good."""

    def __init__(self, thresholds: Sequence[Threshold]) -> None:
        self.all_thresholds = tuple(thresholds)
        self.thresholds = tuple(t for t in thresholds if _judged_live(t))
        self._labels: dict[str, _Live] = {}
        self._total = _Live()

    def add(self, label: str, samples: int, errors: int, max_us: int, encoded_histogram: bytes) -> None:
        for live in (self._labels.setdefault(label, _Live()), self._total):
            live.samples += samples
            live.errors += errors
            live.max_us = max(live.max_us, max_us)
            live.histogram.decode_and_add(encoded_histogram)

    def failed(self, elapsed_s: float) -> ThresholdResult | None:
        """The first threshold that has failed for good on the data so far, or None."""
        if not self.thresholds:
            return None
        labels = tuple(_summary(label, live, elapsed_s) for label, live in self._labels.items())
        total = _summary(TOTAL_LABEL, self._total, elapsed_s)
        by_label = {s.label: s for s in labels}
        for result in evaluate(self.thresholds, labels, total):
            threshold = result.threshold
            if result.passed or result.actual is None:
                continue
            if threshold.metric in _AFTER_WARMUP:
                summary = by_label.get(threshold.label) if threshold.label else total
                if elapsed_s < WARMUP_S or summary is None or summary.samples < MIN_SAMPLES:
                    continue
            return result
        return None

    def status(self, elapsed_s: float) -> tuple[ThresholdResult, ...]:
        """Every threshold against the data so far (the live view; the verdict waits for the end)."""
        labels = tuple(_summary(label, live, elapsed_s) for label, live in self._labels.items())
        return tuple(evaluate(self.all_thresholds, labels, _summary(TOTAL_LABEL, self._total, elapsed_s)))


def _judged_live(threshold: Threshold) -> bool:
    return (threshold.metric, threshold.op) in _FINAL_AT_ONCE or threshold.metric in _AFTER_WARMUP


def _summary(label: str, live: _Live, elapsed_s: float) -> LabelSummary:
    if not live.samples:
        return empty_summary(label)
    h = live.histogram
    pct = percentiles_ms(h, live.max_us)
    return LabelSummary(
        label=label,
        samples=live.samples,
        errors=live.errors,
        error_pct=100.0 * live.errors / live.samples,
        mean_ms=h.get_mean_value() / 1000.0,
        min_ms=h.get_min_value() / 1000.0,
        p50_ms=pct[50],
        p90_ms=pct[90],
        p95_ms=pct[95],
        p99_ms=pct[99],
        max_ms=live.max_us / 1000.0,
        rate_per_s=live.samples / elapsed_s if elapsed_s > 0 else 0.0,
        received_kb_per_s=0.0,
        sent_kb_per_s=0.0,
    )
