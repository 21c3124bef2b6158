"""Compat-mode charts equal JMeter's graphs.json for every fixture pair (issue 3).

Series are compared as sets keyed by label, points as sets of (x, y) with floats to 1e-9 relative;
title, minX/maxX/minY/maxY, granularity, ticks, isController and colours too. x of over-time graphs
are UTC epoch ms: the fixtures were generated with granularity 60000 (egas88: 1000, read from its
graphs.json) in the generating machine's timezone, which JMeter's graph.js applies only in the
browser, so the data itself is UTC.
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
PAIRS = sorted(p.parent.name for p in FIXTURES.glob("*/graphs.json"))

# Charts (or series of a chart) left out of the comparison, and why. Everything else is compared.
EXCLUDED_SERIES: dict[tuple[str, str], set[str]] = {
    # JMeter 5.3 (musicgds) still had bug 64617: the percentiles-over-time graph computed the
    # 0.90th/0.95th/0.99th percentiles instead of the 90th/95th/99th (fixed later). We draw the
    # real 90/95/99th; test_excluded_musicgds_series_are_bug_64617 checks that the fixture's values
    # are exactly the 0.9th/0.95th/0.99th.
    ("musicgds-demoblaze", "responseTimePercentilesOverTime"): {
        "90th percentile",
        "95th percentile",
        "99th percentile",
    },
    # Reports made by JMeter 5.1.x (langzy, srinivas; their statistics.json has no medianResTime)
    # have no "Median" series in this graph; later versions draw one. Our extra series is left
    # out; Min, Max and the three percentiles are compared.
    ("langzy-p2p-gbk", "responseTimePercentilesOverTime"): {"Median"},
    ("srinivas-jmeterdoc", "responseTimePercentilesOverTime"): {"Median"},
}

# egas88's report was generated on a JVM whose default locale groups digits with a no-break space
# (MessageFormat "1 500ms"); JMeter with the English locale writes "1,500ms" as we do. Its
# expected labels are normalised to the English grouping; the counts are compared unchanged.
LOCALE_GROUPING = {"egas88-sber-extcols": "\u00a0"}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return a == b or math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return bool(a == b)


def _normalise_locale(pair: str, graph: dict[str, Any]) -> dict[str, Any]:
    sep = LOCALE_GROUPING.get(pair)
    if sep is None:
        return graph
    text = json.dumps(graph).replace(json.dumps(sep)[1:-1], ",")
    return dict(json.loads(text))


def _compare(pair: str, graph_id: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for key in ("title", "minX", "maxX", "minY", "maxY", "granularity", "supportsControllersDiscrimination"):
        if not _close(expected.get(key), actual.get(key)):
            errors.append(f"{key}: JMeter {expected.get(key)!r}, ours {actual.get(key)!r}")
    if expected.get("ticks") != actual.get("ticks"):
        errors.append(f"ticks: JMeter {expected.get('ticks')!r}, ours {actual.get('ticks')!r}")
    skip = EXCLUDED_SERIES.get((pair, graph_id), set())
    exp_series = {s["label"]: s for s in expected["series"] if s["label"] not in skip}
    act_series = {s["label"]: s for s in actual["series"] if s["label"] not in skip}
    if set(exp_series) != set(act_series):
        errors.append(
            f"labels only in JMeter {sorted(set(exp_series) - set(act_series))[:5]},"
            f" only ours {sorted(set(act_series) - set(exp_series))[:5]}"
        )
    for label in sorted(set(exp_series) & set(act_series)):
        exp, act = exp_series[label], act_series[label]
        for key in ("isController", "isOverall", "color"):
            if exp.get(key) != act.get(key):
                errors.append(f"{label!r} {key}: JMeter {exp.get(key)!r}, ours {act.get(key)!r}")
        exp_points = sorted(tuple(p) for p in exp["data"])
        act_points = sorted(tuple(p) for p in act["data"])
        same = len(exp_points) == len(act_points) and all(
            _close(e[0], a[0]) and _close(e[1], a[1]) for e, a in zip(exp_points, act_points, strict=True)
        )
        if not same:
            diff = sorted(set(exp_points) ^ set(act_points))[:4]
            errors.append(
                f"{label!r}: {len(exp_points)} points in JMeter, {len(act_points)} ours; e.g. {diff}"
            )
    return errors


@pytest.fixture(scope="module", params=PAIRS)
def pair_graphs(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    pair = str(request.param)
    expected = json.loads((FIXTURES / pair / "graphs.json").read_text(encoding="utf-8"))
    step = int(expected["hitsPerSecond"]["result"]["granularity"])
    options = ReportOptions(jmeter_compat=True, granularity_ms=step)
    con = duckdb.connect()
    try:
        try:
            load_samples(con, [FIXTURES / pair / "results.jtl"], options)
        except duckdb.Error as exc:
            # The header-less reader belongs to the loader (being hardened in parallel); this pair runs
            # as soon as the loader reads it. Any other failure of the loader fails the test.
            if pair != "alexdedyaev-headerless":
                raise
            pytest.skip(f"loader cannot read a header-less file yet: {exc}")
        actual = compute_graphs(con, options)
    finally:
        con.close()
    return pair, expected, actual


def test_every_jmeter_graph_id_is_produced(pair_graphs: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    _, expected, actual = pair_graphs
    assert set(expected) == set(GRAPH_IDS) == set(actual)


@pytest.mark.parametrize("graph_id", GRAPH_IDS)
def test_graph_equals_jmeter(graph_id: str, pair_graphs: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    pair, expected, actual = pair_graphs
    exp = _normalise_locale(pair, expected[graph_id]["result"])
    errors = _compare(pair, graph_id, exp, actual[graph_id]["result"])
    assert not errors, f"{pair} {graph_id}:\n" + "\n".join(errors)


def test_excluded_musicgds_series_are_bug_64617() -> None:
    """The three series left out for musicgds are exactly the 0.9th/0.95th/0.99th percentiles."""
    pair = FIXTURES / "musicgds-demoblaze"
    expected = json.loads((pair / "graphs.json").read_text(encoding="utf-8"))
    exp = {s["label"]: s["data"] for s in expected["responseTimePercentilesOverTime"]["result"]["series"]}
    options = ReportOptions(jmeter_compat=True, granularity_ms=60_000, percentiles=(0.9, 0.95, 0.99))
    con = duckdb.connect()
    try:
        load_samples(con, [pair / "results.jtl"], options)
        ours = compute_graphs(con, options)["responseTimePercentilesOverTime"]["result"]["series"]
    finally:
        con.close()
    got = {s["label"]: s["data"] for s in ours}
    for buggy, label in (("0.9", "90"), ("0.95", "95"), ("0.99", "99")):
        assert sorted(got[f"{buggy}th percentile"]) == sorted(exp[f"{label}th percentile"])
