"""Every real JMeter results file in the fixtures loads completely, as JMeter read it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
JMETER = FIXTURES / "jmeter"

# Data rows per results file (tests/fixtures/jmeter/README.md) and transaction-controller rows.
ROWS = {
    "apache-jmeter-htmlreport": (255, 0),
    "musicgds-demoblaze": (13000, 0),
    "alenakruchkova-addressbook": (2100, 0),
    "amin-pinvest": (92, 1),
    "banpreet-jpetstore-utg": (1523, 731),
    "webtours-tc": (17964, 4948),
    "natanaeldlb-blazedemo-27k": (26998, 0),
    "egas88-sber-extcols": (10759, 4496),
    "srinivas-jmeterdoc": (20011, 7962),
    "langzy-p2p-gbk": (11, 0),
    "alexdedyaev-headerless": (30, 1),
    "spangebob-gitlab": (4094, 0),
    "jkookie-allerrors": (150, 0),
}


def _load(path: Path, jmeter_compat: bool = False) -> tuple[duckdb.DuckDBPyConnection, LoadResult]:
    con = duckdb.connect()
    return con, load_samples(con, [path], ReportOptions(jmeter_compat=jmeter_compat))


def test_every_fixture_is_listed() -> None:
    assert {p.name for p in JMETER.iterdir() if p.is_dir()} == set(ROWS)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_fixture_loads_every_row(name: str) -> None:
    rows, controllers = ROWS[name]
    con, result = _load(JMETER / name / "results.jtl")
    assert result.rows_loaded == rows
    assert result.bad_rows == 0
    count, tc, first, last = con.execute(
        "SELECT count(*), count(*) FILTER (is_controller), min(row_id), max(row_id) FROM samples"
    ).fetchone()
    assert (count, tc, first, last) == (rows, controllers, 0, rows - 1)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_fixture_labels_match_jmeter_statistics(name: str) -> None:
    """Per-label count, errors, min and max elapsed, and Total counts equal JMeter's statistics.json."""
    folder = JMETER / name
    stats_file = folder / "statistics.utf8.json"
    if not stats_file.exists():
        stats_file = folder / "statistics.json"
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    con, _ = _load(folder / "results.jtl", jmeter_compat=True)
    got = {
        label: (n, errors, lo, hi)
        for label, n, errors, lo, hi in con.execute(
            "SELECT label, count(*), count(*) FILTER (NOT success), min(elapsed_ms), max(elapsed_ms)"
            " FROM samples GROUP BY label"
        ).fetchall()
    }
    expected = {
        key: (v["sampleCount"], v["errorCount"], v["minResTime"], v["maxResTime"])
        for key, v in stats.items()
        if key != "Total"
    }
    assert got == expected
    # JMeter's Total counts the rows that are not transaction-controller samples.
    total = con.execute(
        "SELECT count(*), count(*) FILTER (NOT success) FROM samples WHERE NOT is_controller"
    ).fetchone()
    assert total == (stats["Total"]["sampleCount"], stats["Total"]["errorCount"])


def test_headerless_default_mode_keeps_first_row() -> None:
    con, result = _load(JMETER / "alexdedyaev-headerless" / "results.jtl")
    assert result.rows_loaded == 30
    first = con.execute("SELECT label, start_ms, elapsed_ms FROM samples WHERE row_id = 0").fetchone()
    assert first == ("Переход на главную страницу", 1762270523373, 480)
    assert any("no header line" in w for w in result.warnings)


def test_headerless_compat_mode_drops_first_row_like_jmeter() -> None:
    con, result = _load(JMETER / "alexdedyaev-headerless" / "results.jtl", jmeter_compat=True)
    assert result.rows_loaded == 29
    first = con.execute("SELECT label FROM samples WHERE row_id = 0").fetchone()
    assert first == ("Переход на главную страницу-0",)


def test_extended_columns_are_found_by_name() -> None:
    con, _ = _load(JMETER / "egas88-sber-extcols" / "results.jtl")
    row = con.execute(
        "SELECT start_ms, elapsed_ms, label, latency_ms, connect_ms, bytes, sent_bytes, grp_threads,"
        " all_threads, url, thread_group FROM samples WHERE row_id = 0"
    ).fetchone()
    assert row == (
        1706891824013,
        706,
        "Вход на главную",
        564,
        65,
        336143,
        115,
        2,
        4,
        "https://dostaevsky.ru/",
        "Thread Group",
    )


def test_controller_flags() -> None:
    con, _ = _load(JMETER / "egas88-sber-extcols" / "results.jtl")
    row = con.execute(
        "SELECT label, is_controller, is_empty_controller, url FROM samples WHERE row_id = 1"
    ).fetchone()
    assert row == ("Вход", True, False, "null")
