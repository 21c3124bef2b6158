"""The trend of three or more runs in order: per row, p95, throughput and error % in each run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from surge.compare.diff import row_names
from surge.compare.measure import PERCENTS, TOTAL_KEY, RowKey, RunStats

TREND_METRICS: tuple[tuple[str, str, str], ...] = (
    ("p95", "p95", "ms"),
    ("rps", "Throughput", "/s"),
    ("error_rate", "Error %", "%"),
)
_P95 = PERCENTS.index(95.0)


@dataclass(frozen=True)
class TrendRow:
    name: str
    key: RowKey
    # metric name -> one value per run (None where the run has no such row)
    values: dict[str, list[float | None]]


def trend_rows(runs: Sequence[RunStats]) -> list[TrendRow]:
    """Every row any run has (the Total first, then by name), with its values run by run."""
    keys: set[RowKey] = set()
    for run in runs:
        keys.update(run.rows)
    names = row_names(keys)
    rows = []
    for key in sorted(keys, key=lambda k: (k != TOTAL_KEY, names[k], k[1])):
        values: dict[str, list[float | None]] = {name: [] for name, _, _ in TREND_METRICS}
        for run in runs:
            stats = run.rows.get(key)
            values["p95"].append(None if stats is None else stats.percentiles_ms[_P95])
            values["rps"].append(None if stats is None else stats.rate_per_s)
            values["error_rate"].append(None if stats is None else stats.error_pct)
        rows.append(TrendRow(names[key], key, values))
    return rows
