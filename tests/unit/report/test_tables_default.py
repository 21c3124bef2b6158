"""Default-mode tables: exact percentiles, consistent totals, rates over the test, no NaN/Infinity."""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tables_samples import make_samples, sample, tc_message

from surge.report.load import load_samples
from surge.report.options import ReportOptions
from surge.report.tables import compute_overview, compute_tables, statistics_json

DEFAULT = ReportOptions()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"
# Varied fixtures: TCs with failures, many labels, over 20,000 samples, errors in every row.
FIXTURE_NAMES = ["banpreet-jpetstore-utg", "amin-pinvest", "natanaeldlb-blazedemo-27k", "webtours-tc"]


def rows_by_label(table: dict[str, Any], index: int = 0) -> dict[str, list[Any]]:
    return {item["data"][index]: item["data"] for item in table["items"] if item["data"]}


def reference_percentile(values: list[int], percent: float) -> float:
    """The Response Time Percentiles chart's definition: smallest v with more than p % of values <= v."""
    ordered = sorted(values)
    for v in ordered:
        if bisect.bisect_right(ordered, v) * 100 > percent * len(ordered):
            return float(v)
    return float(ordered[-1])


def test_percentile_definition_on_small_sets() -> None:
    rows = [sample("four", 0, e) for e in (4, 1, 3, 2)] + [sample("ten", 0, 10 * k) for k in range(1, 11)]
    stats = rows_by_label(compute_tables(make_samples(rows), DEFAULT)["statisticsTable"])
    assert stats["four"][7:11] == [3.0, 4.0, 4.0, 4.0]  # ranks floor(q*n)+1: 3, 4, 4, 4
    assert stats["ten"][7:11] == [60.0, 100.0, 100.0, 100.0]


@pytest.fixture(scope="module", params=FIXTURE_NAMES)
def loaded(request: pytest.FixtureRequest) -> Any:
    con = duckdb.connect()
    load_samples(con, [FIXTURES / request.param / "results.jtl"], DEFAULT)
    yield con
    con.close()


def test_percentiles_are_exact_over_all_samples(loaded: Any) -> None:
    tables = compute_tables(loaded, DEFAULT)
    elapsed: dict[tuple[str, bool], list[int]] = {}
    for label, is_tc, value in loaded.execute(
        "SELECT label, is_controller, elapsed_ms FROM samples WHERE NOT is_empty_controller"
    ).fetchall():
        elapsed.setdefault((label, is_tc), []).append(value)
    rows = {(i["data"][0], i["isController"]): i["data"] for i in tables["statisticsTable"]["items"]}
    assert set(rows) == set(elapsed)  # a label used by a TC and by a sampler has two rows
    for key, data in rows.items():
        expected = [reference_percentile(elapsed[key], p) for p in (50, 90, 95, 99)]
        assert data[7:11] == expected, key
    total = [
        v for (v,) in loaded.execute("SELECT elapsed_ms FROM samples WHERE NOT is_controller").fetchall()
    ]
    expected_total = [reference_percentile(total, p) for p in (50, 90, 95, 99)]
    assert tables["statisticsTable"]["overall"]["data"][7:11] == expected_total


def test_table_percentiles_are_the_percentile_charts_points(loaded: Any) -> None:
    from surge.report.charts import compute_graphs

    # every label drawn (amin-pinvest has 81, beyond the default chart limit)
    chart = compute_graphs(loaded, ReportOptions(chart_labels=0))["responseTimePercentiles"]["result"]
    points = {s["label"]: dict((round(x, 1), y) for x, y in s["data"]) for s in chart["series"]}
    items = compute_tables(loaded, DEFAULT)["statisticsTable"]["items"]
    labels = [item["data"][0] for item in items]
    for item in items:
        label = item["data"][0]
        if labels.count(label) == 1:  # the chart has one curve for a label used by a TC and a sampler
            assert item["data"][7:11] == [points[label][p] for p in (50.0, 90.0, 95.0, 99.0)], label


def test_totals_are_consistent(loaded: Any) -> None:
    tables = compute_tables(loaded, DEFAULT)
    stats = tables["statisticsTable"]
    non_tc = [item["data"] for item in stats["items"] if not item["isController"]]
    total = stats["overall"]["data"]
    assert total[1] == sum(r[1] for r in non_tc) and total[2] == sum(r[2] for r in non_tc)
    # every row's rate is over the whole test, so the rows add up to the Total
    assert total[11] == pytest.approx(sum(r[11] for r in non_tc), rel=1e-9)
    assert total[12] == pytest.approx(sum(r[12] for r in non_tc), rel=1e-9)
    overview = compute_overview(loaded, DEFAULT)
    assert total[11] == pytest.approx(total[1] / (overview["duration_ms"] / 1000), rel=1e-12)
    # APDEX Total over the same samples as the Statistics Total: a sample-weighted mean of the non-TC rows
    apdex = tables["apdexTable"]
    counts = {r[0]: r[1] for r in non_tc}
    assert len(counts) == len(non_tc)
    rows = [item["data"] for item in apdex["items"] if not item["isController"]]
    weighted = sum(r[0] * counts[r[3]] for r in rows) / sum(counts[r[3]] for r in rows)
    assert apdex["overall"]["data"][0] == pytest.approx(weighted, rel=1e-12)
    summary = tables["requestsSummary"]
    assert summary["KoPercent"] == pytest.approx(total[3], rel=1e-12)
    errors = tables["errorsTable"]["items"]
    assert sum(e["data"][1] for e in errors) == total[2]
    assert tables["top5ErrorsBySamplerTable"]["overall"]["data"][1:3] == total[1:3]
    json.dumps(tables, allow_nan=False)
    json.dumps(statistics_json(tables), allow_nan=False)


def test_no_nan_for_empty_controllers_and_zero_duration() -> None:
    rows = [sample("flash", 1000, 0, bytes_=0), sample("EMPTY", 1000, 0, message=tc_message(0))]
    con = make_samples(rows)
    tables = compute_tables(con, DEFAULT)
    json.dumps(tables, allow_nan=False)
    stats = tables["statisticsTable"]
    assert set(rows_by_label(stats)) == {"flash"}  # a label with only empty TCs has no sample to show
    assert stats["overall"]["data"][11:] == [None, None, None]
    overview = compute_overview(con, DEFAULT)
    assert overview["duration_ms"] == 0 and any("0 ms" in note for note in overview["notes"])


def test_only_controllers_gives_empty_totals_without_nan() -> None:
    con = make_samples([sample("TX", 0, 10, message=tc_message(1))])
    tables = compute_tables(con, DEFAULT)
    json.dumps(tables, allow_nan=False)
    assert tables["statisticsTable"]["overall"]["data"][1:4] == [0, 0, None]
    assert "overall" not in tables["apdexTable"]
    assert tables["requestsSummary"] == {"KoPercent": 0.0, "OkPercent": 0.0}


def test_errors_and_top5_order_and_raw_keys() -> None:
    rows = [sample("a", 0, 1, success=False, code="500", message=m) for m in ("y", "x", "x", "<b>")]
    rows += [sample("b", 0, 1, success=False, code="404", message="gone"), sample("c", 0, 1)]
    tables = compute_tables(make_samples(rows), DEFAULT)
    assert [e["data"][:2] for e in tables["errorsTable"]["items"]] == [
        ["500/x", 2],
        ["404/gone", 1],
        ["500/<b>", 1],
        ["500/y", 1],
    ]
    top5 = tables["top5ErrorsBySamplerTable"]
    assert [item["data"][0] for item in top5["items"]] == ["a", "b"]  # labels with errors only, sorted
    assert top5["items"][0]["data"][:9] == ["a", 4, 4, "500/x", 2, "500/<b>", 1, "500/y", 1]


def test_overview_counts_before_the_label_filter() -> None:
    rows = [sample("kept", 1000, 10), sample("dropped", 500, 2000, in_filter=False)]
    overview = compute_overview(make_samples(rows), DEFAULT)
    assert (overview["begin_ms"], overview["end_ms"], overview["rows"], overview["samples"]) == (
        500,
        2500,
        2,
        1,
    )
