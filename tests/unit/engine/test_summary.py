"""Summary figures and bulk HDR recording, checked against exact computations on known values."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from surge.engine.histogram import new_histogram, record_counts
from surge.engine.summary import LabelStats, summarize


def test_bulk_recording_equals_hdrh_record_value() -> None:
    rng = random.Random(3)
    values = [rng.randint(1, 5_000_000) for _ in range(5000)] + [1, 2, 1023, 1024, 2048, 3_600_000_000]
    bulk = new_histogram()
    record_counts(bulk, Counter(values))
    one_by_one = new_histogram()
    for v in values:
        one_by_one.record_value(v)
    assert list(bulk.counts) == list(one_by_one.counts)
    assert bulk.get_total_count() == one_by_one.get_total_count() == len(values)
    assert (bulk.get_min_value(), bulk.get_max_value()) == (
        one_by_one.get_min_value(),
        one_by_one.get_max_value(),
    )


def _stats(label: str, values_us: list[int], errors: int = 0, received: int = 0) -> LabelStats:
    stats = LabelStats(label)
    for v in values_us:
        stats.append(v)
    stats.errors = errors
    stats.received = received
    stats.roll(new_histogram(2))
    return stats


def test_summary_matches_exact_figures_within_hdr_precision() -> None:
    values = list(range(1000, 101000, 100))  # 1000 values: 1 ms .. 100.9 ms
    labels, total = summarize([_stats("a", values, errors=10, received=2048).totals()], duration_s=2.0)
    s = labels[0]
    assert (s.label, s.samples, s.errors) == ("a", 1000, 10)
    assert s.error_pct == pytest.approx(1.0)
    assert s.mean_ms == pytest.approx(sum(values) / len(values) / 1000)
    assert s.min_ms == 1.0 and s.max_ms == 100.9
    ordered = sorted(values)
    for pct, got in ((50, s.p50_ms), (90, s.p90_ms), (95, s.p95_ms), (99, s.p99_ms)):
        exact_ms = ordered[int(len(ordered) * pct / 100) - 1] / 1000
        assert got == pytest.approx(exact_ms, rel=2e-3)
    assert s.rate_per_s == 500.0
    assert s.received_kb_per_s == 1.0
    assert total.samples == 1000


def test_totals_merge_by_label_across_workers() -> None:
    w1 = [_stats("a", [1000] * 10).totals(), _stats("b", [5000] * 5, errors=5).totals()]
    w2 = [_stats("a", [3000] * 10).totals()]
    labels, total = summarize(w1 + w2, duration_s=1.0)
    assert [(s.label, s.samples, s.errors) for s in labels] == [("a", 20, 0), ("b", 5, 5)]
    assert labels[0].mean_ms == pytest.approx(2.0)
    assert (total.label, total.samples, total.errors) == ("TOTAL", 25, 5)
    assert total.max_ms == 5.0


def test_empty_run_summary() -> None:
    labels, total = summarize([], duration_s=1.0)
    assert labels == () and total.samples == 0
