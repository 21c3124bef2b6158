"""Threshold parsing and evaluation against a run summary."""

from __future__ import annotations

import pytest

from surge.engine.summary import LabelSummary
from surge.errors import UsageError
from surge.verdict.thresholds import evaluate, parse_threshold


def summary(label: str, **figures: float) -> LabelSummary:
    base: dict[str, float] = dict(
        samples=1000, errors=5, error_pct=0.5, mean_ms=120.0, min_ms=2.0, p50_ms=100.0, p90_ms=200.0,
        p95_ms=280.0, p99_ms=900.0, max_ms=1500.0, rate_per_s=600.0, received_kb_per_s=10.0,
        sent_kb_per_s=1.0,
    )  # fmt: skip
    base.update(figures)
    return LabelSummary(label=label, **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "metric", "op", "value", "label"),
    [
        ("p95<300ms", "p95", "<", 300.0, None),
        ("p99<1s", "p99", "<", 1000.0, None),
        ("p99 < 250", "p99", "<", 250.0, None),
        ("error_rate<1%", "error_rate", "<", 1.0, None),
        ("error_rate<0.01", "error_rate", "<", 1.0, None),
        ("rps>500", "rps", ">", 500.0, None),
        ("rps>=500", "rps", ">=", 500.0, None),
        ("GET /api:p95<200ms", "p95", "<", 200.0, "GET /api"),
        ("GET http://x:8000/a:p95<200ms", "p95", "<", 200.0, "GET http://x:8000/a"),
    ],
)
def test_parse(text: str, metric: str, op: str, value: float, label: str | None) -> None:
    threshold = parse_threshold(text)
    assert (threshold.metric, threshold.op, threshold.value, threshold.label) == (metric, op, value, label)


@pytest.mark.parametrize("text", ["p95", "p96<3ms", "p95<fast", "error_rate<x%", ":p95<3ms", "p95=3ms"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse_threshold(text)


def test_evaluate_total_and_label() -> None:
    total = summary("TOTAL")
    api = summary("GET /api", p95_ms=350.0)
    results = evaluate(
        [parse_threshold(t) for t in ("p95<300ms", "GET /api:p95<300ms", "error_rate<1%", "rps>700")],
        [api],
        total,
    )
    assert [r.passed for r in results] == [True, False, True, False]
    assert results[1].actual == 350.0
    assert "350.0 ms" in results[1].reason


def test_threshold_on_label_without_samples_fails() -> None:
    (result,) = evaluate([parse_threshold("GET /missing:p95<300ms")], [], summary("TOTAL"))
    assert not result.passed
    assert result.actual is None
    assert "no samples" in result.reason
