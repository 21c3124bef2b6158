"""JMeter-compatible tables on small hand-made sample sets whose expected values are worked out by hand
from JMeter's definitions (docs/jmeter-semantics.md and JMeter's report processors)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from tables_samples import make_samples, sample, tc_message

from surge.errors import UsageError
from surge.report.options import ApdexRule, ReportOptions
from surge.report.tables import compute_tables, statistics_json
from surge.report.tables.java import LONG_MAX, LONG_MIN

COMPAT = ReportOptions(jmeter_compat=True)


def rows_by_label(table: dict[str, Any], index: int = 0) -> dict[str, list[Any]]:
    return {item["data"][index]: item["data"] for item in table["items"] if item["data"]}


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def test_percentiles_use_the_last_window_samples_in_file_order() -> None:
    # Label A: elapsed 25, 24, ..., 1 in file order; with a window of 10 only 10..1 count.
    rows = [sample("A", 1000 * i, 25 - i) for i in range(25)] + [sample("B", 30000, 100)]
    tables = compute_tables(make_samples(rows), replace(COMPAT, statistic_window=10))
    stats = rows_by_label(tables["statisticsTable"])
    a = stats["A"]
    assert a[1] == 25 and a[4] == 13.0 and a[5] == 1 and a[6] == 25  # count, mean, min, max: all samples
    # LEGACY on 1..10: median pos 5.5 -> 5.5; p90 pos 9.9 -> 9 + 0.9; p95 pos 10.45 >= n -> 10
    assert close(a[7], 5.5) and close(a[8], 9.9) and a[9] == 10.0 and a[10] == 10.0
    # Total has its own window: the last 10 samples are elapsed 9..1 and 100.
    total = tables["statisticsTable"]["overall"]["data"]
    assert close(total[7], 5.5) and close(total[8], 9 + 0.9 * 91) and total[9] == 100.0


def _tc_rows() -> list[dict[str, Any]]:
    return [
        sample("child", 0, 100),
        sample("child", 100, 200, success=False, code="500", message="Internal Server Error"),
        sample("TX", 0, 300, success=False, code="", message=tc_message(2, 1)),
        sample("EMPTY", 500, 0, message=tc_message(0)),
    ]


def test_transaction_controllers_as_jmeter_counts_them() -> None:
    tables = compute_tables(make_samples(_tc_rows()), COMPAT)
    stats = tables["statisticsTable"]
    total = stats["overall"]["data"]
    assert total[:4] == ["Total", 2, 1, 50.0]  # Total leaves TC rows out
    items = {item["data"][0]: item for item in stats["items"]}
    assert items["TX"]["isController"] is True and items["TX"]["data"][1:3] == [1, 1]
    # A label whose samples are all empty TCs keeps a row with JMeter's placeholders.
    empty = items["EMPTY"]["data"]
    assert empty[1:3] == [0, 0] and math.isnan(empty[3]) and math.isnan(empty[4])
    assert empty[5] == LONG_MAX and empty[6] == LONG_MIN
    assert all(math.isnan(v) for v in empty[7:11])
    assert empty[11:] == [0.0, 0.0, 0.0]  # duration MIN - MAX wraps to 1 ms
    assert items["EMPTY"]["isController"] is True

    apdex = tables["apdexTable"]
    assert "EMPTY" not in rows_by_label(apdex, 3)
    assert rows_by_label(apdex, 3)["TX"][0] == 0.0
    assert rows_by_label(apdex, 3)["child"][0] == 0.5
    # APDEX Total includes the TC sample: child ok (satisfied), child failed, TX failed.
    assert close(apdex["overall"]["data"][0], 1 / 3)

    assert tables["requestsSummary"] == {"KoPercent": 50.0, "OkPercent": 50.0}
    errors = tables["errorsTable"]["items"]
    assert [e["data"] for e in errors] == [["500/Internal Server Error", 1, 100.0, 50.0]]

    top5 = tables["top5ErrorsBySamplerTable"]
    assert top5["overall"]["data"] == ["Total", 2, 1, "500/Internal Server Error", 1, *[""] * 8]
    assert rows_by_label(top5) == {"child": ["child", 2, 1, "500/Internal Server Error", 1, *[""] * 8]}
    assert len(top5["items"]) == 3  # TX and EMPTY have empty rows, as in JMeter


@pytest.mark.parametrize(
    ("code", "message", "failure", "compat_key", "default_key"),
    [
        ("200", "OK", "Response was null", "Response was null", "Response was null"),
        ("302", "Found", "", "Assertion failed", "Assertion failed"),
        ("", "", "Timeout <5s>", "Timeout &lt;5s&gt;", "Timeout <5s>"),
        (
            "Non HTTP response code: x.Y",
            "Connection reset",
            "",
            "Non HTTP response code: x.Y/Connection reset",
            None,
        ),
        ("500", "", "", "500", "500"),
        ("404", "Not Found & gone", "ignored", "404/Not Found &amp; gone", "404/Not Found & gone"),
        ("+200", "OK", "x", "+200/OK", "+200/OK"),  # StringUtils.isNumeric("+200") is false
        ("99999999999", "OK", "x", "99999999999/OK", "99999999999/OK"),  # parseInt overflows
    ],
)
def test_error_keys(code: str, message: str, failure: str, compat_key: str, default_key: str | None) -> None:
    rows = [sample("L", 0, 10, success=False, code=code, message=message, failure=failure)]
    for options, key in ((COMPAT, compat_key), (ReportOptions(), default_key or compat_key)):
        tables = compute_tables(make_samples(rows), options)
        assert [e["data"][0] for e in tables["errorsTable"]["items"]] == [key]
        assert tables["top5ErrorsBySamplerTable"]["overall"]["data"][3] == key


def test_label_filter_applies_to_every_table() -> None:
    rows = [
        sample("shown", 0, 10),
        sample("hidden", 0, 10, success=False, code="500", message="x", in_filter=False),
    ]
    for options in (COMPAT, ReportOptions()):
        tables = compute_tables(make_samples(rows), options)
        assert set(rows_by_label(tables["statisticsTable"])) == {"shown"}
        assert set(rows_by_label(tables["apdexTable"], 3)) == {"shown"}
        # JMeter's errors consumer sits behind the name filter (ReportGenerator: the exclude-controller
        # filter is a consumer of the name filter), so the Errors table drops "hidden" too.
        assert tables["errorsTable"]["items"] == []
        assert tables["top5ErrorsBySamplerTable"]["overall"]["data"][:3] == ["Total", 1, 0]
        assert tables["requestsSummary"]["KoPercent"] == 0.0


def test_apdex_rules_first_match_wins_and_total_uses_global_thresholds() -> None:
    rules = (ApdexRule("log.*", 100, 200), ApdexRule("login", 1000, 2000))
    rows = [sample("login", 0, 150), sample("other", 0, 150)]
    compat = compute_tables(make_samples(rows), replace(COMPAT, apdex_rules=rules))["apdexTable"]
    assert rows_by_label(compat, 3) == {"login": [0.5, 100, 200, "login"], "other": [1.0, 500, 1500, "other"]}
    assert compat["overall"]["data"] == [1.0, 500, 1500, "Total"]
    default = compute_tables(make_samples(rows), ReportOptions(apdex_rules=rules))["apdexTable"]
    assert rows_by_label(default, 3) == rows_by_label(compat, 3)
    assert default["overall"]["data"] == [0.75, 500, 1500, "Total"]  # each sample with its label's T/F


def test_bad_apdex_pattern_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="APDEX"):
        compute_tables(make_samples([sample("a", 0, 1)]), ReportOptions(apdex_rules=(ApdexRule("(", 1, 2),)))


def test_zero_duration_divides_by_zero_as_java_does() -> None:
    rows = [sample("flash", 1000, 0, bytes_=0, sent=100)]
    data = compute_tables(make_samples(rows), COMPAT)["statisticsTable"]["items"][0]["data"]
    assert data[11] == math.inf and math.isnan(data[12]) and data[13] == math.inf


def test_per_label_throughput_window() -> None:
    rows = [sample("A", 0, 1000), sample("B", 9000, 1000)]
    tables = compute_tables(make_samples(rows), COMPAT)
    stats = rows_by_label(tables["statisticsTable"])
    assert stats["A"][11] == 1.0 and stats["B"][11] == 1.0  # each over its own 1 s
    assert tables["statisticsTable"]["overall"]["data"][11] == 0.2  # 2 samples over 10 s


def test_statistics_json_schema() -> None:
    rows = [
        sample("A", 0, 100),
        sample("A", 0, 300, success=False, code="500", message="x"),
        sample("B", 0, 7),
    ]
    result = statistics_json(compute_tables(make_samples(rows * 3), COMPAT))
    assert set(result) == {"Total", "A", "B"}
    assert list(result["A"]) == [
        "transaction",
        "sampleCount",
        "errorCount",
        "errorPct",
        "meanResTime",
        "medianResTime",
        "minResTime",
        "maxResTime",
        "pct1ResTime",
        "pct2ResTime",
        "pct3ResTime",
        "throughput",
        "receivedKBytesPerSec",
        "sentKBytesPerSec",
    ]
    total = result["Total"]
    assert total["sampleCount"] == 9 and total["errorCount"] == 3
    assert total["errorPct"] == 33.333332  # a Java float, as JMeter writes it
    assert total["minResTime"] == 7.0 and isinstance(total["minResTime"], float)


def test_percentile_titles_follow_the_options() -> None:
    options = replace(COMPAT, percentiles=(75.0, 95.0, 99.9))
    tables = compute_tables(make_samples([sample("a", 0, 1)]), options)
    assert tables["statisticsTable"]["titles"][7:11] == ["Median", "75th pct", "95th pct", "99.9th pct"]


def legacy(values: list[int], percent: float) -> float:
    """commons-math Percentile, EstimationType.LEGACY (reference for the tests)."""
    ordered = sorted(values)
    n = len(ordered)
    pos = percent / 100.0 * (n + 1)
    if pos < 1:
        return float(ordered[0])
    if pos >= n:
        return float(ordered[-1])
    lower, upper = ordered[math.floor(pos) - 1], ordered[math.floor(pos)]
    return lower + (pos - math.floor(pos)) * (upper - lower)


@pytest.mark.parametrize("window", [1, 7, 5000, 8192, 20000, 50000])
def test_windows_spanning_many_row_blocks(window: int) -> None:
    # 40,000 rows, 3 labels interleaved irregularly, many row_id blocks; TC rows in between.
    con = make_samples([])
    con.execute(
        """INSERT INTO samples SELECT i, 1000 * i, 1000 * i + e, e, 'L' || (h % 3), '200', m, 'G 1-1', 'G',
                  TRUE, '', 10, 1, 1, 1, 'u', 0, 0, NULL, m LIKE 'Number%', FALSE, TRUE
           FROM (SELECT i, hash(i) AS h, (hash(i * 7) % 3000)::BIGINT AS e,
                        CASE WHEN i % 11 = 0 THEN 'Number of samples in transaction : 1, number of failing'
                             ELSE 'OK' END AS m
                 FROM range(40000) t(i))"""
    )
    options = replace(COMPAT, statistic_window=window)
    tables = compute_tables(con, options)
    per_label: dict[str, list[int]] = {}
    total: list[int] = []
    for label, elapsed, is_tc in con.execute(
        "SELECT label, elapsed_ms, is_controller FROM samples ORDER BY row_id"
    ).fetchall():
        per_label.setdefault(label, []).append(elapsed)
        if not is_tc:
            total.append(elapsed)
    for label, data in rows_by_label(tables["statisticsTable"]).items():
        expected = [legacy(per_label[label][-window:], p) for p in (50, 90, 95, 99)]
        assert data[7:11] == expected, label
    expected_total = [legacy(total[-window:], p) for p in (50, 90, 95, 99)]
    assert tables["statisticsTable"]["overall"]["data"][7:11] == expected_total
