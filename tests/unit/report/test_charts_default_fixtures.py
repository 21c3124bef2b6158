"""Default-mode charts on every JMeter fixture: valid JSON, and counts that add up to JMeter's totals.

In the default mode the rate charts are zero-filled and count every request once, so summing a rate
series over its buckets (× bucket width) must give back the number of requests: JMeter's
Total.sampleCount / Total.errorCount in statistics.json (which leave TCs out).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.report.charts import GRAPH_IDS, compute_graphs
from surge.report.load import load_samples
from surge.report.options import ReportOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"
# alexdedyaev-headerless: JMeter dropped the first row of this header-less file (its Total counts one
# request less than the file holds); the default mode reads every row, so its totals differ by design.
PAIRS = sorted(
    p.parent.name for p in FIXTURES.glob("*/graphs.json") if p.parent.name != "alexdedyaev-headerless"
)


def _statistics(pair: str) -> dict[str, Any]:
    path = FIXTURES / pair / "statistics.utf8.json"
    if not path.exists():
        path = FIXTURES / pair / "statistics.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _count(graph: dict[str, Any], label: str) -> float:
    result = graph["result"]
    data = next(s["data"] for s in result["series"] if s["label"] == label)
    return sum(y for _, y in data) * result["granularity"] / 1000


@pytest.mark.parametrize("pair", PAIRS)
def test_default_mode_totals_match_jmeter(pair: str) -> None:
    options = ReportOptions()
    con = duckdb.connect()
    try:
        load_samples(con, [FIXTURES / pair / "results.jtl"], options)
        graphs = compute_graphs(con, options)
    finally:
        con.close()
    assert set(GRAPH_IDS) <= set(graphs)
    json.dumps(graphs, allow_nan=False)  # no NaN/Infinity reaches the page
    total = _statistics(pair)["Total"]
    requests, errors = total["sampleCount"], total["errorCount"]
    assert math.isclose(_count(graphs["hitsPerSecond"], "hitsPerSecond"), requests)
    tps = graphs["totalTPS"]
    assert math.isclose(_count(tps, "Transaction-success") + _count(tps, "Transaction-failure"), requests)
    assert math.isclose(_count(tps, "Transaction-failure"), errors, abs_tol=1e-9)
    codes = graphs["codesPerSecond"]
    assert math.isclose(sum(_count(codes, s["label"]) for s in codes["result"]["series"]), requests)
    bars = graphs["syntheticResponseTimeDistribution"]["result"]["series"]
    assert sum(y for s in bars for _, y in s["data"]) == requests
    # a series is zero-filled from the first to the last bucket of the test
    hits = graphs["hitsPerSecond"]["result"]
    xs = [x for x, _ in hits["series"][0]["data"]]
    assert xs == [xs[0] + i * hits["granularity"] for i in range(len(xs))]
    assert len(xs) <= 401
