"""Bucket width: JMeter's 60 s in compat mode, a nice automatic step otherwise, the option wins."""

from __future__ import annotations

import duckdb
import pytest

from surge.report.charts.buckets import (
    JMETER_GRANULARITY_MS,
    MAX_BUCKETS,
    NICE_STEPS_MS,
    bucket_sql,
    choose_granularity_ms,
    granularity_ms,
)
from surge.report.options import ReportOptions

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("duration_ms", "expected_ms"),
    [
        (0, 1_000),
        (60_000, 1_000),  # a one-minute run: one point per second
        (400_000, 1_000),
        (400_001, 2_000),
        (10 * 60_000, 2_000),  # 10 min -> 300 points
        (HOUR_MS, 10_000),  # 1 h -> 360 points
        (4 * HOUR_MS, 60_000),  # 4 h -> 240 points, not 14 400
        (30 * HOUR_MS, 300_000),
        (7 * 24 * HOUR_MS, 1_800_000),
        (400 * 86_400_000 * 3, 3 * 86_400_000),  # beyond the table: whole days
    ],
)
def test_choose_granularity(duration_ms: int, expected_ms: int) -> None:
    assert choose_granularity_ms(duration_ms) == expected_ms


def test_choice_keeps_a_useful_number_of_points_for_multi_hour_runs() -> None:
    for hours in (2, 3, 5, 8, 12, 24):
        step = choose_granularity_ms(hours * HOUR_MS)
        assert step in NICE_STEPS_MS
        assert 100 <= hours * HOUR_MS / step <= MAX_BUCKETS


def _con_with_span(start_ms: int, end_ms: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE samples (start_ms BIGINT, end_ms BIGINT, in_label_filter BOOLEAN)")
    con.execute(
        "INSERT INTO samples VALUES (?, ?, TRUE), (?, ?, TRUE)", [start_ms, start_ms + 5, end_ms - 5, end_ms]
    )
    return con


def test_granularity_modes() -> None:
    con = _con_with_span(1_700_000_000_000, 1_700_000_000_000 + 4 * HOUR_MS)
    assert granularity_ms(con, ReportOptions()) == 60_000
    assert granularity_ms(con, ReportOptions(jmeter_compat=True)) == JMETER_GRANULARITY_MS == 60_000
    assert granularity_ms(con, ReportOptions(granularity_ms=5_000)) == 5_000
    assert granularity_ms(con, ReportOptions(jmeter_compat=True, granularity_ms=1_000)) == 1_000
    short = _con_with_span(1_700_000_000_000, 1_700_000_000_000 + 90_000)
    assert granularity_ms(short, ReportOptions()) == 1_000


def test_buckets_are_epoch_aligned() -> None:
    con = duckdb.connect()
    got = con.execute(f"SELECT {bucket_sql('t', 60_000)} FROM (VALUES (1598601539999), (1598601540000)) v(t)")
    assert [r[0] for r in got.fetchall()] == [1598601480000, 1598601540000]
