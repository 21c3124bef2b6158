"""The change of every metric of every row from the baseline run to the candidate, with its test."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from surge.compare import stats
from surge.compare.measure import PERCENTS, TOTAL_KEY, RowKey, RowStats, RunStats

TOTAL_NAME = "Total"
CONTROLLER_SUFFIX = " (transaction controller)"


@dataclass(frozen=True)
class Metric:
    name: str  # as in rules and in the JSON output
    title: str
    unit: str  # "ms", "/s", "%" or "" (a count)
    worse: int  # +1: higher is worse, -1: lower is worse, 0: neither
    tested: bool  # whether changes get a significance test


METRICS: tuple[Metric, ...] = (
    Metric("samples", "Samples", "", 0, False),
    Metric("rps", "Throughput", "/s", -1, True),
    Metric("error_rate", "Error %", "%", +1, True),
    Metric("mean", "Mean", "ms", +1, True),
    *(Metric(f"p{p:g}", f"p{p:g}", "ms", +1, True) for p in PERCENTS),
    Metric("max", "Max", "ms", +1, False),
)
METRIC_BY_NAME = {metric.name: metric for metric in METRICS}


@dataclass(frozen=True, slots=True)
class Change:
    """One metric of one row: both values, the change and its test (None: not a tested metric)."""

    metric: str
    base: float | None
    cand: float | None
    test: stats.Test | None

    @property
    def absolute(self) -> float | None:
        if self.base is None or self.cand is None:
            return None
        return self.cand - self.base

    @property
    def relative(self) -> float | None:
        """(cand - base) / base; +/-inf from a baseline of 0, 0 when both are 0, None when unknown."""
        if self.base is None or self.cand is None:
            return None
        if self.base == 0:
            return 0.0 if self.cand == 0 else math.copysign(math.inf, self.cand)
        return (self.cand - self.base) / abs(self.base)

    def significant(self, alpha: float) -> bool:
        return self.test is not None and self.test.tested and self.test.p_two_sided < alpha


@dataclass(frozen=True)
class RowComparison:
    key: RowKey
    name: str  # the label, "Total", or "<label> (transaction controller)" beside a sampler row
    base: RowStats
    cand: RowStats
    changes: dict[str, Change]

    @property
    def is_total(self) -> bool:
        return self.key == TOTAL_KEY

    @property
    def is_controller(self) -> bool:
        return self.key[1]


@dataclass(frozen=True)
class Comparison:
    """The baseline against the candidate: rows both have (the Total first), and the others."""

    alpha: float
    rows: list[RowComparison]
    only_base: list[tuple[str, RowStats]] = field(default_factory=list)
    only_cand: list[tuple[str, RowStats]] = field(default_factory=list)

    def row(self, name: str) -> RowComparison | None:
        return next((r for r in self.rows if r.name == name), None)


def _scaled(estimate: stats.Estimate | None, factor: float) -> stats.Estimate | None:
    if estimate is None:
        return None
    return stats.Estimate(estimate.value * factor, estimate.se * factor, estimate.df)


def _percentile_test(
    base: stats.PercentileSpread | str, cand: stats.PercentileSpread | str, alpha: float
) -> stats.Test:
    if isinstance(base, str):
        return stats.untested(base + " in the baseline")
    if isinstance(cand, str):
        return stats.untested(cand + " in the candidate")
    return stats.percentile_test(base, cand, alpha)


def compare_rows(base: RowStats, cand: RowStats, alpha: float) -> dict[str, Change]:
    """Every metric's change for one row."""
    changes = {
        "samples": Change("samples", base.count, cand.count, None),
        "rps": Change("rps", base.rate_per_s, cand.rate_per_s, stats.welch_test(base.rate, cand.rate, alpha)),
        "error_rate": Change(
            "error_rate",
            base.error_pct,
            cand.error_pct,
            stats.welch_test(_scaled(base.error_share, 100.0), _scaled(cand.error_share, 100.0), alpha),
        ),
        "mean": Change("mean", base.mean_ms, cand.mean_ms, stats.welch_test(base.mean, cand.mean, alpha)),
    }
    for i, p in enumerate(PERCENTS):
        name = f"p{p:g}"
        test = _percentile_test(base.spreads[i], cand.spreads[i], alpha)
        changes[name] = Change(name, base.percentiles_ms[i], cand.percentiles_ms[i], test)
    changes["max"] = Change("max", base.max_ms, cand.max_ms, None)
    return changes


def row_names(keys: set[RowKey]) -> dict[RowKey, str]:
    """Display names: the label, with a suffix on a controller row whose label also has sampler rows."""
    names = {}
    for key in keys:
        label, is_controller = key
        if label is None:
            names[key] = TOTAL_NAME
        elif is_controller and (label, False) in keys:
            names[key] = label + CONTROLLER_SUFFIX
        else:
            names[key] = label
    return names


def _first(item: tuple[str, RowStats]) -> str:
    return item[0]


def compare_runs(base: RunStats, cand: RunStats, alpha: float) -> Comparison:
    """Rows of both runs compared (Total first, then by name); the rows of one run only listed."""
    names = row_names(set(base.rows) | set(cand.rows))
    rows = [
        RowComparison(
            key,
            names[key],
            base.rows[key],
            cand.rows[key],
            compare_rows(base.rows[key], cand.rows[key], alpha),
        )
        for key in base.rows
        if key in cand.rows
    ]
    rows.sort(key=lambda r: (not r.is_total, r.name, r.is_controller))
    only_base = sorted(((names[k], s) for k, s in base.rows.items() if k not in cand.rows), key=_first)
    only_cand = sorted(((names[k], s) for k, s in cand.rows.items() if k not in base.rows), key=_first)
    return Comparison(alpha, rows, only_base, only_cand)
