"""Thresholds (``p95<300ms``, ``error_rate<1%``, ``GET /api:rps>50``): parse them and check a run.

A threshold is ``[LABEL:]METRIC OP VALUE``. Without a label it applies to the run's total.
Time metrics take a duration (a bare number is milliseconds, as in k6); ``error_rate`` takes a
percentage (``1%``) or a fraction (``0.01``); ``rps`` and counts take plain numbers.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from surge.engine.summary import LabelSummary
from surge.errors import UsageError
from surge.plan import Threshold
from surge.units import parse_duration_s

__all__ = ["Threshold", "ThresholdResult", "evaluate", "parse_threshold", "parse_thresholds"]

# metric name -> (LabelSummary attribute, kind of value)
_METRICS: dict[str, tuple[str, str]] = {
    "p50": ("p50_ms", "time"),
    "med": ("p50_ms", "time"),
    "median": ("p50_ms", "time"),
    "p90": ("p90_ms", "time"),
    "p95": ("p95_ms", "time"),
    "p99": ("p99_ms", "time"),
    "avg": ("mean_ms", "time"),
    "mean": ("mean_ms", "time"),
    "min": ("min_ms", "time"),
    "max": ("max_ms", "time"),
    "error_rate": ("error_pct", "percent"),
    "errors": ("errors", "count"),
    "samples": ("samples", "count"),
    "rps": ("rate_per_s", "count"),
}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# The label is everything before the last ':' that is followed by a metric expression.
_THRESHOLD = re.compile(
    r"^(?:(?P<label>.+):)?\s*(?P<metric>[a-z_0-9]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>\S+)\s*$"
)


@dataclass(frozen=True)
class ThresholdResult:
    threshold: Threshold
    passed: bool
    actual: float | None  # None when the label produced no sample
    reason: str  # one line for humans, e.g. "p95 = 312.0 ms, limit < 300 ms"


def parse_threshold(text: str) -> Threshold:
    """Parse one threshold expression; raises UsageError saying what is wrong."""
    match = _THRESHOLD.match(text.strip())
    if match is None:
        raise UsageError(f"invalid threshold {text!r} (examples: p95<300ms, error_rate<1%, 'GET /:rps>50')")
    metric = match.group("metric")
    if metric not in _METRICS:
        known = ", ".join(sorted(_METRICS))
        raise UsageError(f"invalid threshold {text!r}: unknown metric {metric!r} (known: {known})")
    label = match.group("label")
    if label is not None:
        label = label.strip()
        if not label:
            raise UsageError(f"invalid threshold {text!r}: empty label before ':'")
    value = _parse_value(text, _METRICS[metric][1], match.group("value"))
    return Threshold(text=text.strip(), metric=metric, op=match.group("op"), value=value, label=label)


def parse_thresholds(texts: Iterable[str]) -> tuple[Threshold, ...]:
    return tuple(parse_threshold(text) for text in texts)


def _parse_value(text: str, kind: str, raw: str) -> float:
    try:
        if kind == "time":
            return parse_duration_s(raw, default_unit="ms") * 1000.0
        if kind == "percent":
            return float(raw[:-1]) if raw.endswith("%") else float(raw) * 100.0
        return float(raw)
    except (UsageError, ValueError) as exc:
        raise UsageError(f"invalid threshold {text!r}: bad value {raw!r}") from exc


def evaluate(
    thresholds: Sequence[Threshold], labels: Sequence[LabelSummary], total: LabelSummary
) -> tuple[ThresholdResult, ...]:
    """Check every threshold against the run's summary (per label, or the total)."""
    by_label = {summary.label: summary for summary in labels}
    return tuple(_evaluate_one(t, by_label.get(t.label) if t.label else total) for t in thresholds)


def _evaluate_one(threshold: Threshold, summary: LabelSummary | None) -> ThresholdResult:
    attribute, kind = _METRICS[threshold.metric]
    limit = f"{threshold.op} {_format(threshold.value, kind)}"
    if summary is None or summary.samples == 0:
        where = f"label {threshold.label!r}" if threshold.label else "the run"
        return ThresholdResult(threshold, False, None, f"no samples for {where}, limit {limit}")
    actual = float(getattr(summary, attribute))
    passed = _OPERATORS[threshold.op](actual, threshold.value)
    reason = f"{threshold.metric} = {_format(actual, kind)}, limit {limit}"
    return ThresholdResult(threshold, passed, actual, reason)


def _format(value: float, kind: str) -> str:
    if kind == "time":
        return f"{value:.1f} ms"
    if kind == "percent":
        return f"{value:.2f}%"
    return f"{value:g}"
