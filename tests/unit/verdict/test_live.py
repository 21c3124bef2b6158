"""--abort-on-fail's rule: which thresholds fail for good on partial data, and when."""

from __future__ import annotations

from collections import Counter

from surge.engine.histogram import PROGRESS_DIGITS, encode, new_histogram, record_counts
from surge.verdict.live import MIN_SAMPLES, WARMUP_S, LiveThresholds
from surge.verdict.outcome import late_arrival_reasons
from surge.verdict.thresholds import parse_thresholds


def snapshot(values_us: list[int]) -> bytes:
    histogram = new_histogram(PROGRESS_DIGITS)
    record_counts(histogram, Counter(values_us))
    return encode(histogram)


def feed(live: LiveThresholds, label: str, values_us: list[int], errors: int = 0) -> None:
    live.add(label, len(values_us), errors, max(values_us), snapshot(values_us))


def test_percentiles_wait_for_the_warm_up() -> None:
    live = LiveThresholds(parse_thresholds(["p95<100ms"]))
    feed(live, "GET /", [500_000] * (MIN_SAMPLES + 10))  # all slow
    assert live.failed(elapsed_s=WARMUP_S - 1) is None
    failed = live.failed(elapsed_s=WARMUP_S)
    assert failed is not None and failed.threshold.text == "p95<100ms" and "p95 = " in failed.reason


def test_percentiles_need_enough_samples_of_their_label() -> None:
    live = LiveThresholds(parse_thresholds(["GET /a:p99<10ms"]))
    feed(live, "GET /a", [900_000] * (MIN_SAMPLES - 1))
    feed(live, "GET /b", [1_000] * 500)
    assert live.failed(elapsed_s=60) is None
    feed(live, "GET /a", [900_000])
    assert live.failed(elapsed_s=60) is not None


def test_values_that_only_grow_fail_at_once() -> None:
    live = LiveThresholds(parse_thresholds(["errors<3", "max<1s"]))
    feed(live, "GET /", [1_000, 2_000], errors=2)
    assert live.failed(elapsed_s=0.5) is None
    feed(live, "GET /", [1_500_000], errors=0)
    failed = live.failed(elapsed_s=0.7)
    assert failed is not None and failed.threshold.text == "max<1s"
    live = LiveThresholds(parse_thresholds(["errors<3"]))
    feed(live, "GET /", [1_000] * 3, errors=3)
    assert live.failed(elapsed_s=0.5) is not None


def test_rates_and_passing_thresholds_never_abort() -> None:
    live = LiveThresholds(parse_thresholds(["rps>1000000", "samples>10000000", "p95<10s", "error_rate<50%"]))
    feed(live, "GET /", [2_000] * 1000, errors=10)
    assert live.failed(elapsed_s=30) is None


def test_error_rate_after_warm_up() -> None:
    live = LiveThresholds(parse_thresholds(["error_rate<1%"]))
    feed(live, "GET /", [2_000] * 100, errors=5)
    assert live.failed(elapsed_s=1) is None
    failed = live.failed(elapsed_s=WARMUP_S + 1)
    assert failed is not None and "5.00%" in failed.reason


def test_late_arrivals_make_a_run_invalid_beyond_one_percent() -> None:
    assert late_arrival_reasons(1000, 10, 0, 25) == ()
    (reason,) = late_arrival_reasons(1000, 30, 5, 25)
    assert "30 of 1000" in reason and "5 never sent" in reason and "25 ms" in reason
    assert late_arrival_reasons(0, 0, 0, 25) == ()
