"""Out-of-range values: each is a counted bad row or a counted warning, never a crash or a lost file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions
from surge.results.columns import DEFAULT_COLUMNS

HEADER = ",".join(DEFAULT_COLUMNS)
START_MS = 1_700_000_000_000


def row(ts: object, elapsed: object = 10) -> str:
    return f"{ts},{elapsed},A,200,OK,TG 1-1,text,true,,100,50,1,1,http://x/,5,0,1"


def load_with(tmp_path: Path, odd: str, **options: Any) -> tuple[Any, LoadResult]:
    """A file of 4 good rows with ``odd`` as its line 3."""
    lines = [HEADER, row(START_MS), odd, row(START_MS + 1000), row(START_MS + 2000), row(START_MS + 3000)]
    path = tmp_path / "results.jtl"
    path.write_text("\n".join(lines) + "\n")
    con = duckdb.connect()
    return con, load_samples(con, [path], ReportOptions(**options))


@pytest.mark.parametrize(
    "odd",
    [
        row(10**16),  # year 318857
        row(2**63 - 1),  # INT64's maximum: start + elapsed overflowed and the whole file was refused
        row(10**14),  # year 5138
        row(-(10**14)),  # year -1199
        row(START_MS, 10**18),  # elapsed of 31 million years
        row(START_MS, 2**31),  # over 24.8 days
    ],
    ids=["ts-1e16", "ts-int64-max", "ts-year-5138", "ts-negative", "elapsed-1e18", "elapsed-24.8-days"],
)
@pytest.mark.parametrize("timestamp_is_start", [True, False], ids=["start", "end"])
def test_impossible_numbers_are_bad_rows(tmp_path: Path, odd: str, timestamp_is_start: bool) -> None:
    con, result = load_with(tmp_path, odd, timestamp_is_start=timestamp_is_start)
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (4, 1, (3,))
    # What is kept is what the report can show as dates.
    low, high = con.execute("SELECT min(start_ms), max(end_ms) FROM samples").fetchone()
    assert low >= START_MS - 100 and high <= START_MS + 3100


@pytest.mark.parametrize(
    ("odd", "warning"),
    [
        (row(5000), "1 row is dated before 2000 or after 2099 (samples from 1970-01-01 00:00:05 UTC"),
        (row(4_200_000_000_000), "to 2103-02-04 02:40:00 UTC"),
        (row(START_MS, -50), "1 row has a negative elapsed (down to -50 ms)"),
    ],
    ids=["1970", "2103", "negative-elapsed"],
)
def test_odd_but_possible_values_are_kept_with_a_warning(tmp_path: Path, odd: str, warning: str) -> None:
    _, result = load_with(tmp_path, odd)
    assert (result.rows_loaded, result.bad_rows) == (5, 0)
    assert any(warning in w for w in result.warnings), result.warnings


@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_200_mb_line_is_a_counted_bad_row(tmp_path: Path, where: str) -> None:
    # Past DuckDB's buffer (32 MB here) such a line was dropped without a word.
    path = tmp_path / "results.jtl"
    with open(path, "w") as f:
        f.write(HEADER + "\n" + row(START_MS) + "\n")
        f.write(row(START_MS + 1, 5).replace("A", "y" * (200 * 1024 * 1024), 1))
        if where == "middle":
            f.write("\n" + row(START_MS + 2) + "\n")
    result = load_samples(duckdb.connect(), [path], ReportOptions())
    assert (result.bad_rows, result.bad_row_lines) == (1, (3,))
    assert result.rows_loaded == (2 if where == "middle" else 1)
