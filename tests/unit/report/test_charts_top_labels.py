"""Per-label charts draw the labels with the most samples and fold the others into one series (issue 10).

Hand-made samples: 25 request labels L00..L24 where L<i> has 30 - i samples (so the 20 largest are
L00..L19), plus one transaction-controller label. Each request label has its own response code and
thread group, so codes and thread groups are folded too.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from surge.report.charts import compute_graphs
from surge.report.options import COMPAT_CHART_LABELS, DEFAULT_CHART_LABELS, ReportOptions, parse_chart_labels

T0 = 1_700_000_040_000  # a whole minute
TC_MESSAGE = "Number of samples in transaction : 2, number of failing samples : 0"
COLUMNS = (
    "row_id BIGINT, start_ms BIGINT, end_ms BIGINT, elapsed_ms BIGINT, label VARCHAR, response_code VARCHAR,"
    " response_message VARCHAR, thread_name VARCHAR, thread_group VARCHAR, success BOOLEAN,"
    " failure_message VARCHAR, bytes BIGINT, sent_bytes BIGINT, grp_threads BIGINT, all_threads BIGINT,"
    " url VARCHAR, latency_ms BIGINT, connect_ms BIGINT, queue_ms BIGINT, is_controller BOOLEAN,"
    " is_empty_controller BOOLEAN, in_label_filter BOOLEAN"
)
PER_LABEL = (
    "responseTimesOverTime",
    "latenciesOverTime",
    "connectTimeOverTime",
    "responseTimePercentiles",
    "responseTimeDistribution",
)


def _rows() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for i in range(25):
        for k in range(30 - i):
            elapsed = 100 + 10 * i + k  # ms
            start = T0 + 1000 * k
            rows.append(
                (
                    start,
                    elapsed,
                    f"L{i:02d}",
                    f"2{i:02d}",
                    "OK",
                    f"G{i:02d} 1-1",
                    k % 5 != 4,
                    2 + i % 3,
                    False,
                )
            )
    rows.append((T0, 999, "TC", "200", TC_MESSAGE, "G00 1-1", True, 2, True))
    return rows


def _con(rows: list[tuple[Any, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE samples ({COLUMNS})")
    values = [
        (i, start, start + elapsed, elapsed, label, code, message, thread, thread.split(" ")[0], ok, g, ctrl)
        for i, (start, elapsed, label, code, message, thread, ok, g, ctrl) in enumerate(rows)
    ]
    # latency is half the elapsed time; 100 bytes received, 10 sent; allThreads 4
    con.executemany(
        "INSERT INTO samples SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', 100, 10, $11, 4, '',"
        " $4 // 2, 0, NULL, $12, FALSE, TRUE",
        values,
    )
    return con


@pytest.fixture(scope="module")
def graphs() -> dict[str, Any]:
    return compute_graphs(_con(_rows()), ReportOptions(granularity_ms=60_000))


def _series(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["label"]: s for s in graph["result"]["series"]}


def test_default_limit_and_option_text() -> None:
    assert ReportOptions().chart_label_limit() == DEFAULT_CHART_LABELS == 20
    assert ReportOptions(jmeter_compat=True).chart_label_limit() == COMPAT_CHART_LABELS == 100
    assert ReportOptions(jmeter_compat=True, chart_labels=5).chart_label_limit() == 5
    assert ReportOptions(chart_labels=0).chart_label_limit() is None
    assert parse_chart_labels("all") == 0 and parse_chart_labels("7") == 7


@pytest.mark.parametrize("graph_id", PER_LABEL)
def test_per_label_charts_draw_the_top_labels_and_fold_the_others(
    graphs: dict[str, Any], graph_id: str
) -> None:
    result = graphs[graph_id]["result"]
    series = _series(graphs[graph_id])
    own = sorted(label for label, s in series.items() if not s.get("isOther"))
    assert own == [f"L{i:02d}" for i in range(20)]
    other, other_tc = series["Other labels (5)"], series["Other transaction controllers (1)"]
    assert other["isOther"] and other_tc["isOther"]
    assert other_tc["isController"] and not other["isController"]
    assert (result["drawnCount"], result["foldedCount"]) == (20, 6)  # L20..L24 and TC folded


def test_folded_series_pool_the_other_labels_samples(graphs: dict[str, Any]) -> None:
    rows = [r for r in _rows() if r[2] in {"L20", "L21", "L22", "L23", "L24"}]
    # one minute bucket: the folded mean is the mean over every folded request sample
    (point,) = _series(graphs["responseTimesOverTime"])["Other labels (5)"]["data"]
    assert point[1] == pytest.approx(sum(r[1] for r in rows) / len(rows))
    bars = _series(graphs["responseTimeDistribution"])["Other labels (5)"]["data"]
    assert sum(y for _, y in bars) == len(rows) == 10 + 9 + 8 + 7 + 6
    tps = _series(graphs["transactionsPerSecond"])
    ok = sum(r[6] for r in rows)
    assert sum(y for _, y in tps["Other labels (5)-success"]["data"]) * 60 == pytest.approx(ok)
    assert sum(y for _, y in tps["Other labels (5)-failure"]["data"]) * 60 == pytest.approx(len(rows) - ok)
    threads = _series(graphs["timeVsThreads"])
    assert threads["Other labels (5)-Aggregated"]["data"] == [
        [4.0, pytest.approx(sum(r[1] for r in rows) / 40)]
    ]
    curve = dict((x, y) for x, y in _series(graphs["responseTimePercentiles"])["Other labels (5)"]["data"])
    assert curve[100.0] == max(r[1] for r in rows)


def test_codes_and_thread_groups_are_folded_too(graphs: dict[str, Any]) -> None:
    codes = _series(graphs["codesPerSecond"])
    assert sorted(c for c, s in codes.items() if not s.get("isOther")) == [f"2{i:02d}" for i in range(20)]
    assert sum(y for _, y in codes["Other codes (5)"]["data"]) * 60 == 40
    assert (
        graphs["codesPerSecond"]["result"]["drawnCount"],
        graphs["codesPerSecond"]["result"]["foldedCount"],
    ) == (
        20,
        5,
    )
    groups = _series(graphs["activeThreadsOverTime"])
    assert len(groups) == 21 and groups["Other thread groups (5)"]["isOther"]
    # stacked: the folded series is the sum of the folded groups' means (G20..G24: 2 + i % 3 threads)
    (point,) = groups["Other thread groups (5)"]["data"]
    assert point[1] == sum(2 + i % 3 for i in range(20, 25))


def test_every_label_when_asked_and_up_to_100_in_jmeter_compatible_mode() -> None:
    for options in (ReportOptions(chart_labels=0), ReportOptions(jmeter_compat=True)):
        graphs = compute_graphs(_con(_rows()), options)
        for graph_id in (*PER_LABEL, "codesPerSecond", "activeThreadsOverTime"):
            result = graphs[graph_id]["result"]
            assert "foldedCount" not in result
            assert not any(s.get("isOther") for s in result["series"])
        assert len(graphs["responseTimesOverTime"]["result"]["series"]) == 26


def test_a_smaller_limit() -> None:
    graphs = compute_graphs(_con(_rows()), ReportOptions(granularity_ms=60_000, chart_labels=3))
    labels = [s["label"] for s in graphs["responseTimesOverTime"]["result"]["series"]]
    assert labels == ["L00", "L01", "L02", "Other labels (22)", "Other transaction controllers (1)"]


def _many(labels: int) -> dict[str, Any]:
    """30,000 samples over 5 minutes named after ``labels`` labels."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE samples ({COLUMNS})")
    con.execute(
        f"""INSERT INTO samples SELECT i, {T0} + i * 10, {T0} + i * 10 + 50 + i % 7, 50 + i % 7,
                'GET /item/' || (i % {labels}), '200', 'OK', 'G 1-1', 'G', TRUE, '', 100, 10, 1, 1, '',
                10, 0, NULL, FALSE, FALSE, TRUE
            FROM range(30000) t(i)"""
    )
    return compute_graphs(con, ReportOptions())


def test_chart_size_does_not_grow_with_the_number_of_labels() -> None:
    few, many = _many(20), _many(20_000)
    for result in (g["result"] for g in many.values()):
        assert len(result["series"]) <= 2 * (DEFAULT_CHART_LABELS + 1)
    assert many["responseTimesOverTime"]["result"]["foldedCount"] == 20_000 - 20
    # one more series per per-label chart than with 20 labels, whatever the number of labels
    assert len(json.dumps(many)) < 1.3 * len(json.dumps(few))
