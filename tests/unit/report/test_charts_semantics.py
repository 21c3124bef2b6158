"""Chart semantics on small hand-made sample sets: JMeter's rules (compat) and ours (default).

Expected values are worked out by hand from JMeter's definitions (docs/jmeter-semantics.md#charts)
and the JMeter code, not taken from earlier runs of our code.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from surge.report.charts import GRAPH_IDS, compute_graphs
from surge.report.charts.result import JAVA_DOUBLE_MAX, JAVA_DOUBLE_MIN
from surge.report.options import ReportOptions

T0 = 1_700_000_040_000  # a whole minute (epoch ms)
TC_MESSAGE = "Number of samples in transaction : 2, number of failing samples : 0"
EMPTY_TC_MESSAGE = "Number of samples in transaction : 0, number of failing samples : 0"

COLUMNS = (
    "row_id BIGINT, start_ms BIGINT, end_ms BIGINT, elapsed_ms BIGINT, label VARCHAR, response_code VARCHAR,"
    " response_message VARCHAR, thread_name VARCHAR, thread_group VARCHAR, success BOOLEAN,"
    " failure_message VARCHAR, bytes BIGINT, sent_bytes BIGINT, grp_threads BIGINT, all_threads BIGINT,"
    " url VARCHAR, latency_ms BIGINT, connect_ms BIGINT, queue_ms BIGINT, is_controller BOOLEAN,"
    " is_empty_controller BOOLEAN, in_label_filter BOOLEAN"
)


def sample(start_ms: int, elapsed_ms: int, label: str = "A", **kw: Any) -> dict[str, Any]:
    return {"start_ms": start_ms, "elapsed_ms": elapsed_ms, "label": label, **kw}


def make_con(samples: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """A connection holding table ``samples`` as the loader's contract describes it."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE samples ({COLUMNS})")
    for i, s in enumerate(samples):
        message = s.get("response_message", "OK")
        thread = s.get("thread_name", "Group 1-1")
        con.execute(
            "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                i,
                s["start_ms"],
                s["start_ms"] + s["elapsed_ms"],
                s["elapsed_ms"],
                s["label"],
                s.get("response_code", "200"),
                message,
                thread,
                thread.rsplit(" ", 1)[0],
                s.get("success", True),
                "",
                s.get("bytes", 0),
                s.get("sent_bytes", 0),
                s.get("grp_threads", 1),
                s.get("all_threads", 1),
                "",
                s.get("latency_ms", 0),
                s.get("connect_ms", 0),
                s.get("queue_ms"),
                message.startswith("Number of samples in transaction"),
                message.startswith("Number of samples in transaction : 0"),
                s.get("in_label_filter", True),
            ],
        )
    return con


def series(graph: dict[str, Any]) -> dict[str, list[list[Any]]]:
    return {s["label"]: s["data"] for s in graph["result"]["series"]}


COMPAT = ReportOptions(jmeter_compat=True)
COMPAT_1S = ReportOptions(jmeter_compat=True, granularity_ms=1000)
DEFAULT_1S = ReportOptions(granularity_ms=1000)


def test_shape_of_every_graph() -> None:
    con = make_con([sample(T0, 100), sample(T0 + 10, 200, "B")])
    graphs = compute_graphs(con, ReportOptions())
    assert tuple(graphs) == GRAPH_IDS
    for gid, g in graphs.items():
        r = g["result"]
        assert {
            "title",
            "minX",
            "maxX",
            "minY",
            "maxY",
            "supportsControllersDiscrimination",
            "series",
        } <= set(r), gid
        for s in r["series"]:
            assert set(s) >= {"label", "isController", "isOverall", "data"}, gid


@pytest.mark.parametrize("options", [COMPAT, ReportOptions()])
def test_no_samples_gives_empty_graphs(options: ReportOptions) -> None:
    graphs = compute_graphs(make_con([]), options)
    assert set(graphs) == set(GRAPH_IDS)
    assert all(p == [] for g in graphs.values() for s in g["result"]["series"] for p in [s["data"]])
    if options.jmeter_compat:
        r = graphs["hitsPerSecond"]["result"]
        # JMeter's untouched initial bounds: Double.MAX_VALUE and Double.MIN_VALUE
        assert (r["minX"], r["maxX"], r["minY"], r["maxY"]) == (
            JAVA_DOUBLE_MAX,
            JAVA_DOUBLE_MIN,
            JAVA_DOUBLE_MAX,
            JAVA_DOUBLE_MIN,
        )


def test_compat_percentiles_over_time_use_legacy_estimator() -> None:
    # values 1..10 in one bucket: LEGACY pos = p/100 * (n + 1)
    con = make_con([sample(T0 + i, v) for i, v in enumerate([7, 3, 10, 1, 5, 9, 2, 8, 4, 6])])
    s = series(compute_graphs(con, COMPAT)["responseTimePercentilesOverTime"])
    assert s["Min"] == [[T0, 1.0]]
    assert s["Max"] == [[T0, 10.0]]
    assert s["Median"] == [[T0, 5.5]]  # pos 5.5 -> 5 + 0.5 * (6 - 5)
    assert s["90th percentile"][0][1] == pytest.approx(9.9)  # pos 9.9 -> 9 + 0.9 * 1
    assert s["95th percentile"] == [[T0, 10.0]]  # pos 10.45 >= n -> max
    assert s["99th percentile"] == [[T0, 10.0]]


def test_default_percentiles_over_time_are_exact() -> None:
    # the definition shared with the Statistics table and the percentile curve: the smallest value
    # with more than p % of the samples at or below it; values 1..20 in one bucket
    con = make_con([sample(T0 + i, v) for i, v in enumerate(range(20, 0, -1))])
    s = series(compute_graphs(con, ReportOptions(granularity_ms=60_000))["responseTimePercentilesOverTime"])
    assert s["Median"] == [[T0, 11.0]]  # 10 values <= 10 is not more than half; 11 values <= 11 is
    assert s["90th percentile"] == [[T0, 19.0]]  # more than 18 values
    assert s["95th percentile"] == [[T0, 20.0]]  # more than 19 values
    assert s["99th percentile"] == [[T0, 20.0]]
    # the same numbers as the Response Time Percentiles curve at 50.0, 90.0 and 95.0
    curve = dict(
        (x, y) for x, y in series(compute_graphs(con, ReportOptions())["responseTimePercentiles"])["A"]
    )
    assert (curve[50.0], curve[90.0], curve[95.0]) == (11.0, 19.0, 20.0)


def test_compat_percentile_window_keeps_last_samples_in_file_order() -> None:
    # One bucket, file order 100, 200, 300, 1, 2; a window of 3 keeps 300, 1, 2 -> median 2.
    rows = [sample(T0 + i, v, latency_ms=v + 1) for i, v in enumerate([100, 200, 300, 1, 2])]
    windowed = ReportOptions(jmeter_compat=True, statistic_window=3)
    g = compute_graphs(make_con(rows), windowed)
    s = series(g["responseTimePercentilesOverTime"])
    assert s["Median"] == [[T0, 2.0]]
    # the Vs-Request medians are windowed too: all five end in one second (x = 5)
    assert series(g["responseTimeVsRequest"])["Successes"] == [[5.0, 2.0]]
    assert series(g["latenciesVsRequest"])["Successes"] == [[5.0, 3.0]]
    assert s["Min"] == [[T0, 1.0]]  # min and max are not windowed
    assert s["Max"] == [[T0, 300.0]]
    full = series(compute_graphs(make_con(rows), COMPAT)["responseTimePercentilesOverTime"])
    assert full["Median"] == [[T0, 100.0]]


def test_percentiles_over_time_only_successful_non_tc() -> None:
    rows = [
        sample(T0, 10),
        sample(T0 + 1, 1000, success=False),
        sample(T0 + 2, 5000, "TC", response_message=TC_MESSAGE),
    ]
    for options in (COMPAT, ReportOptions(granularity_ms=60_000)):
        s = series(compute_graphs(make_con(rows), options)["responseTimePercentilesOverTime"])
        assert s["Max"] == [[T0, 10.0]]


def test_response_time_percentiles_curve() -> None:
    # four values, a quarter each: p in [0, 25) -> 10, [25, 50) -> 20, ...
    rows = [sample(T0 + i, v) for i, v in enumerate([40, 10, 30, 20])]
    for options in (COMPAT, ReportOptions()):
        data = series(compute_graphs(make_con(rows), options)["responseTimePercentiles"])["A"]
        assert data[0] == [0.0, 10.0]
        assert data[249] == [24.9, 10.0]
        assert data[250] == [25.0, 20.0]
        assert data[999] == [99.9, 40.0]
        assert [p[0] for p in data[:1000]] == [k / 10 for k in range(1000)]
    assert len(series(compute_graphs(make_con(rows), COMPAT)["responseTimePercentiles"])["A"]) == 1000
    # the default mode ends the curve at the maximum
    assert series(compute_graphs(make_con(rows), ReportOptions())["responseTimePercentiles"])["A"][-1] == [
        100.0,
        40.0,
    ]


def test_rates_and_bucketing_on_end_time_and_hits_on_start_time() -> None:
    # starts in second 0, ends in second 1
    rows = [sample(T0 + 900, 200), sample(T0 + 950, 10), sample(T0 + 1500, 100, response_code="")]
    g = compute_graphs(make_con(rows), COMPAT_1S)
    assert series(g["hitsPerSecond"])["hitsPerSecond"] == [[T0, 2.0], [T0 + 1000, 1.0]]
    assert sorted(series(g["totalTPS"])["Transaction-success"]) == [[T0, 1.0], [T0 + 1000, 2.0]]
    codes = series(g["codesPerSecond"])
    assert codes["200"] == [[T0, 1.0], [T0 + 1000, 1.0]]
    assert codes["EMPTY_RES_CODE"] == [[T0 + 1000, 1.0]]
    # at 60 s granularity a count is divided by 60
    g60 = compute_graphs(make_con(rows), COMPAT)
    assert series(g60["hitsPerSecond"])["hitsPerSecond"] == [[T0, 3 * 1000 / 60000]]


def test_compat_has_no_zero_fill_default_has() -> None:
    rows = [sample(T0, 10), sample(T0 + 3000, 20, success=False)]
    compat = compute_graphs(make_con(rows), COMPAT_1S)
    assert series(compat["hitsPerSecond"])["hitsPerSecond"] == [[T0, 1.0], [T0 + 3000, 1.0]]
    default = compute_graphs(make_con(rows), DEFAULT_1S)
    assert series(default["hitsPerSecond"])["hitsPerSecond"] == [
        [T0, 1.0],
        [T0 + 1000, 0.0],
        [T0 + 2000, 0.0],
        [T0 + 3000, 1.0],
    ]
    tps = series(default["transactionsPerSecond"])
    assert [p[1] for p in tps["A-success"]] == [1.0, 0.0, 0.0, 0.0]
    assert [p[1] for p in tps["A-failure"]] == [0.0, 0.0, 0.0, 1.0]
    # mean charts show gaps (None), never zeros
    rt = series(default["responseTimesOverTime"])["A"]
    assert [p[1] for p in rt] == [10.0, None, None, 20.0]
    assert [p[1] for p in series(compat["responseTimesOverTime"])["A"]] == [10.0, 20.0]


def _tc_rows() -> list[dict[str, Any]]:
    return [
        sample(T0, 100, "req1"),
        sample(T0 + 100, 300, "req2", success=False, response_code="500"),
        sample(T0, 400, "TC", response_message=TC_MESSAGE, success=False, bytes=999),
        sample(T0 + 500, 0, "TC", response_message=EMPTY_TC_MESSAGE),
        sample(T0 + 500, 0, "Skipped", response_message=EMPTY_TC_MESSAGE),
    ]


def test_transaction_controller_rules_compat() -> None:
    g = compute_graphs(make_con(_tc_rows()), COMPAT)
    # TCs included under their own label (flagged), empty TCs ignored; a label of empty TCs only
    # still gets an (empty) series, as JMeter creates the series before looking at the value
    rt = {s["label"]: s for s in g["responseTimesOverTime"]["result"]["series"]}
    assert rt["TC"]["isController"] is True and rt["req1"]["isController"] is False
    assert rt["TC"]["data"] == [[T0, 400.0]]
    assert rt["Skipped"]["data"] == []
    # TPS counts TCs; an empty TC counts 0 but still makes its bucket
    tps = series(g["transactionsPerSecond"])
    assert tps["TC-failure"] == [[T0, 1 * 1000 / 60000]]
    assert tps["TC-success"] == [[T0, 0.0]]
    assert tps["Skipped-success"] == [[T0, 0.0]]
    # totalTPS counts the TC on top of its children (JMeter double-counts)
    total = series(g["totalTPS"])
    assert total["Transaction-failure"] == [[T0, 2 * 1000 / 60000]]
    # pooled non-TC charts: hits, codes, bytes, vs-request, overview bars
    assert series(g["hitsPerSecond"])["hitsPerSecond"] == [[T0, 2 * 1000 / 60000]]
    assert set(series(g["codesPerSecond"])) == {"200", "500"}
    assert series(g["bytesThroughputOverTime"])["Bytes received per second"] == [[T0, 0.0]]
    bars = {s["label"]: s["data"] for s in g["syntheticResponseTimeDistribution"]["result"]["series"]}
    assert bars["Requests in error"] == [[3.0, 1.0]]
    # the percentile curve counts an empty TC in its own label (JMeter quirk): TC = {0, 400}
    curve = series(g["responseTimePercentiles"])["TC"]
    assert curve[0] == [0.0, 0.0] and curve[499] == [49.9, 0.0] and curve[500] == [50.0, 400.0]
    dist = series(g["responseTimeDistribution"])
    assert dist["TC"] == [[0.0, 0.0], [400.0, 1.0]]


def test_transaction_controller_rules_default() -> None:
    g = compute_graphs(make_con(_tc_rows()), ReportOptions(granularity_ms=60_000))
    rt = {s["label"]: s for s in g["responseTimesOverTime"]["result"]["series"]}
    assert set(rt) == {"req1", "req2", "TC"}  # a label of empty TCs only has nothing to show
    assert rt["TC"]["isController"] is True
    tps = series(g["transactionsPerSecond"])
    assert set(tps) == {"req1-success", "req2-failure", "TC-failure"}
    # totalTPS: every request once, TCs left out
    total = series(g["totalTPS"])
    assert total["Transaction-failure"] == [[T0, 1 * 1000 / 60000]]
    assert total["Transaction-success"] == [[T0, 1 * 1000 / 60000]]
    assert series(g["responseTimePercentiles"])["TC"][0] == [0.0, 400.0]
    assert series(g["responseTimeDistribution"])["TC"] == [[400.0, 1.0]]


def test_label_filter_applies_to_every_graph() -> None:
    rows = [sample(T0, 100, "keep"), sample(T0, 200, "drop", in_label_filter=False)]
    for options in (COMPAT, ReportOptions(granularity_ms=60_000)):
        g = compute_graphs(make_con(rows), options)
        for gid in (
            "responseTimesOverTime",
            "transactionsPerSecond",
            "responseTimePercentiles",
            "timeVsThreads",
        ):
            assert not any(label.startswith("drop") for label in series(g[gid])), gid
        assert series(g["hitsPerSecond"])["hitsPerSecond"][0][1] == 1000 / 60000


def test_vs_request_median_per_global_rate() -> None:
    rows = [
        # second 0: three responses -> x = 3
        sample(T0 + 0, 10, latency_ms=5),
        sample(T0 + 10, 30, latency_ms=6),
        sample(T0 + 20, 20, "B", latency_ms=7, success=False),
        # second 1: one response -> x = 1
        sample(T0 + 1000, 50, latency_ms=40),
        # second 2: three responses again, pooled with second 0 under x = 3
        sample(T0 + 2000, 70, latency_ms=8),
        sample(T0 + 2001, 80, latency_ms=9),
        sample(T0 + 2002, 90, "TC", response_message=TC_MESSAGE),  # TCs are not requests
        sample(T0 + 2003, 5, latency_ms=1, success=False),
    ]
    # successes at x=3: 10, 30, 70, 80; failures at x=3: 5, 20; latencies of successes: 5, 6, 8, 9
    # LEGACY median (compat): pos = 0.5 * (n + 1), interpolated; exact (default): smallest value
    # with more than half of the samples at or below it
    for options, rt_3, fail_3, lat_3 in ((COMPAT, 50.0, 12.5, 7.0), (ReportOptions(), 70.0, 20.0, 8.0)):
        g = compute_graphs(make_con(rows), options)
        assert g["responseTimeVsRequest"]["result"]["granularity"] == 1000
        s = series(g["responseTimeVsRequest"])
        assert s["Successes"] == [[1.0, 50.0], [3.0, rt_3]]
        assert s["Failures"] == [[3.0, fail_3]]
        assert series(g["latenciesVsRequest"])["Successes"] == [[1.0, 40.0], [3.0, lat_3]]


def test_overview_bars_use_global_thresholds() -> None:
    rows = [
        sample(T0, 1000),
        sample(T0, 1001),
        sample(T0, 3001),
        sample(T0, 3000),
        sample(T0, 5, success=False),
    ]
    options = ReportOptions(apdex_satisfied_ms=1000, apdex_tolerated_ms=3000)
    r = compute_graphs(make_con(rows), options)["syntheticResponseTimeDistribution"]["result"]
    assert r["ticks"] == [
        [0, "Requests having \nresponse time <= 1,000ms"],
        [1, "Requests having \nresponse time > 1,000ms and <= 3,000ms"],
        [2, "Requests having \nresponse time > 3,000ms"],
        [3, "Requests in error"],
    ]
    assert [(s["color"], s["data"]) for s in r["series"]] == [
        ("#9ACD32", [[0.0, 1.0]]),
        ("yellow", [[1.0, 2.0]]),
        ("orange", [[2.0, 1.0]]),
        ("#FF6347", [[3.0, 1.0]]),
    ]


def test_time_vs_threads_and_active_threads() -> None:
    rows = [
        sample(T0, 100, all_threads=2, grp_threads=2, thread_name="Users 1-1"),
        sample(T0, 300, all_threads=2, grp_threads=4, thread_name="Users 1-2"),
        sample(T0, 500, all_threads=5, grp_threads=3, thread_name="Admins 2-1"),
    ]
    for options in (COMPAT, ReportOptions(granularity_ms=60_000)):
        g = compute_graphs(make_con(rows), options)
        tvt = series(g["timeVsThreads"])
        assert tvt["A"] == [[2.0, 200.0], [5.0, 500.0]]
        assert tvt["A-Aggregated"] == [[3.0, 300.0]]
        active = series(g["activeThreadsOverTime"])
        assert active == {"Users": [[T0, 3.0]], "Admins": [[T0, 3.0]]}


def test_queue_time_graph_only_for_open_model_samples_in_default_mode() -> None:
    rows = [
        sample(T0, 10, queue_ms=0),
        sample(T0 + 10, 10, queue_ms=30),
        sample(T0 + 3000, 10, queue_ms=5),
        sample(T0 + 20, 10, "TC", response_message=TC_MESSAGE, queue_ms=999),
    ]
    g = compute_graphs(make_con(rows), DEFAULT_1S)
    assert list(g)[-1] == "queueTimeOverTime" and len(g) == len(GRAPH_IDS) + 1
    q = series(g["queueTimeOverTime"])
    assert q["Mean"] == [[T0, 15.0], [T0 + 1000, None], [T0 + 2000, None], [T0 + 3000, 5.0]]
    assert q["Max"][0] == [T0, 30.0]
    assert q["99th percentile"][0] == [T0, 30.0]  # more than 99 % of {0, 30} are <= 30 only
    assert "queueTimeOverTime" not in compute_graphs(make_con(rows), COMPAT_1S)
    closed = [sample(T0, 10)]
    assert "queueTimeOverTime" not in compute_graphs(make_con(closed), DEFAULT_1S)


def test_no_fill_when_a_fine_granularity_spans_too_many_buckets() -> None:
    # 1-s buckets over 10 hours would be 36 001 points per series: only real buckets are shown
    rows = [sample(T0, 10), sample(T0 + 36_000_000, 10)]
    g = compute_graphs(make_con(rows), DEFAULT_1S)
    assert series(g["hitsPerSecond"])["hitsPerSecond"] == [[T0, 1.0], [T0 + 36_000_000, 1.0]]
    assert series(g["responseTimesOverTime"])["A"] == [[T0, 10.0], [T0 + 36_000_000, 10.0]]
    # the automatic width keeps it filled: 10 h -> 2-min buckets, 301 points
    auto = series(compute_graphs(make_con(rows), ReportOptions())["hitsPerSecond"])["hitsPerSecond"]
    assert len(auto) == 301 and auto[1] == [T0 + 120_000, 0.0]
