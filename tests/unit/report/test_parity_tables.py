"""JMeter-compatible tables against JMeter's own output for every fixture pair.

For each folder in tests/fixtures/jmeter: our statistics_json must equal JMeter's statistics.json
field by field (floats to 1e-9 relative; JMeter 5.1-5.2 files have no medianResTime, so only keys
present are compared), and our APDEX, Requests Summary, Errors and Top-5 tables must equal the ones
JMeter inlined in dashboard.js (dashboard.json). Rows are compared as sets keyed by label (JMeter's
row order is HashMap order) and Top-5 ties as sets (JMeter's tie order is unspecified); a separate
test checks that our row order is JMeter's HashMap order too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.report.load import load_samples
from surge.report.options import ReportOptions
from surge.report.tables import compute_tables, statistics_json

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"
PAIRS = sorted(p.name for p in FIXTURES.iterdir() if (p / "statistics.json").is_file())


_CACHE: dict[str, dict[str, Any]] = {}


def _tables(name: str) -> dict[str, Any]:
    if name not in _CACHE:
        con = duckdb.connect()
        options = ReportOptions(jmeter_compat=True)
        load_samples(con, [FIXTURES / name / "results.jtl"], options)
        _CACHE[name] = compute_tables(con, options)
        con.close()
    return _CACHE[name]


def _expected_statistics(name: str) -> dict[str, Any]:
    folder = FIXTURES / name
    path = folder / "statistics.utf8.json"  # langzy-p2p-gbk: the original is GBK-encoded
    if not path.is_file():
        path = folder / "statistics.json"
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _dashboard(name: str) -> dict[str, Any]:
    path = FIXTURES / name / "dashboard.json"
    if not path.is_file():
        pytest.skip("JMeter's regression fixture has statistics.json only")
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def same(expected: Any, actual: Any) -> bool:
    """Equal, floats to 1e-9 relative; JMeter < 5.5 wrote null where newer ones write ""."""
    if isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(expected, int | float) or not isinstance(actual, int | float):
            return False
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        return expected == actual or abs(expected - actual) <= 1e-9 * max(abs(expected), abs(actual))
    if expected is None and actual == "":
        return True
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(expected[k], actual[k]) for k in expected)
    return bool(expected == actual) and type(expected) is type(actual)


def _keyed(items: list[dict[str, Any]], key_index: int) -> dict[str, dict[str, Any]]:
    keyed = {item["data"][key_index]: item for item in items if item["data"]}
    assert len(keyed) == len([i for i in items if i["data"]]), "duplicate row keys"
    return keyed


def _assert_rows_equal(expected: list[dict[str, Any]], actual: list[dict[str, Any]], key_index: int) -> None:
    exp, act = _keyed(expected, key_index), _keyed(actual, key_index)
    assert set(act) == set(exp)
    for key, item in exp.items():
        assert same(item, act[key]), f"row {key!r}: expected {item}, got {act[key]}"


@pytest.mark.parametrize("name", PAIRS)
def test_statistics_json_equals_jmeter(name: str) -> None:
    expected = _expected_statistics(name)
    actual = statistics_json(_tables(name))
    assert set(actual) == set(expected)
    for label, fields in expected.items():
        for field, value in fields.items():
            assert same(value, actual[label][field]), (
                f"{label!r}.{field}: JMeter {value}, ours {actual[label][field]}"
            )


@pytest.mark.parametrize("name", PAIRS)
def test_requests_summary_equals_jmeter(name: str) -> None:
    assert same(_dashboard(name)["requestsSummary"], _tables(name)["requestsSummary"])


@pytest.mark.parametrize("name", PAIRS)
def test_apdex_table_equals_jmeter(name: str) -> None:
    expected, actual = _dashboard(name)["apdexTable"], _tables(name)["apdexTable"]
    assert actual["titles"] == expected["titles"]
    assert actual["supportsControllersDiscrimination"] == expected["supportsControllersDiscrimination"]
    assert same(expected["overall"], actual["overall"])
    _assert_rows_equal(expected["items"], actual["items"], key_index=3)


@pytest.mark.parametrize("name", PAIRS)
def test_errors_table_equals_jmeter(name: str) -> None:
    expected, actual = _dashboard(name)["errorsTable"], _tables(name)["errorsTable"]
    assert actual["titles"] == expected["titles"]
    assert "overall" not in actual
    _assert_rows_equal(expected["items"], actual["items"], key_index=0)


def _assert_top5_row(expected: list[Any], actual: list[Any]) -> None:
    """Name, #Samples, #Errors exact; the (error, count) pairs equal with ties compared as sets."""
    assert same(expected[:3], actual[:3]), f"{expected[:3]} != {actual[:3]}"

    def pairs(data: list[Any]) -> list[tuple[Any, Any]]:
        return [(data[i], data[i + 1]) for i in range(3, len(data), 2) if data[i] not in ("", None)]

    exp_pairs, act_pairs = pairs(expected), pairs(actual)
    assert [n for _, n in act_pairs] == [n for _, n in exp_pairs], f"{exp_pairs} != {act_pairs}"
    assert len(actual) == len(expected)
    cut = exp_pairs[-1][1] if len(exp_pairs) == 5 else None
    for count in {n for _, n in exp_pairs}:
        exp_keys = {k for k, n in exp_pairs if n == count}
        act_keys = {k for k, n in act_pairs if n == count}
        if count != cut:  # at the 5th slot a tie may be cut differently: only sizes must agree
            assert exp_keys == act_keys, f"errors with {count} occurrences: {exp_keys} != {act_keys}"


@pytest.mark.parametrize("name", PAIRS)
def test_top5_table_equals_jmeter(name: str) -> None:
    expected, actual = _dashboard(name)["top5ErrorsBySamplerTable"], _tables(name)["top5ErrorsBySamplerTable"]
    assert actual["titles"] == expected["titles"]
    _assert_top5_row(expected["overall"]["data"], actual["overall"]["data"])
    exp, act = _keyed(expected["items"], 0), _keyed(actual["items"], 0)
    assert set(act) == set(exp)
    for label in exp:
        _assert_top5_row(exp[label]["data"], act[label]["data"])
    # JMeter lists every label; those without errors (and TC labels) have empty data.
    assert len(actual["items"]) == len(expected["items"])


@pytest.mark.parametrize("name", PAIRS)
def test_row_order_is_jmeters_hashmap_order(name: str) -> None:
    """Not required by JMeter's contract, but we emulate java.util.HashMap, so the order matches."""
    expected, actual = _dashboard(name), _tables(name)
    for table, index in (("apdexTable", 3), ("statisticsTable", 0), ("errorsTable", 0)):
        exp_keys = [item["data"][index] for item in expected[table]["items"]]
        assert [item["data"][index] for item in actual[table]["items"]] == exp_keys, table
    exp_top5 = [item["data"][:1] for item in expected["top5ErrorsBySamplerTable"]["items"]]
    assert [item["data"][:1] for item in actual["top5ErrorsBySamplerTable"]["items"]] == exp_top5
