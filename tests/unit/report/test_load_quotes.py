"""A stray quote costs only the line it spoils: every other row is kept, and the loss is counted."""

from __future__ import annotations

import collections
import gzip
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions
from surge.results.columns import DEFAULT_COLUMNS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
JMETER = sorted(p / "results.jtl" for p in (FIXTURES / "jmeter").iterdir() if p.is_dir())
XML = sorted((FIXTURES / "jmeter-xml").glob("*.jtl"))
HEADER = ",".join(DEFAULT_COLUMNS)
# The columns that tell one sample from another.
IDENTITY = "start_ms, elapsed_ms, label, response_code, response_message, thread_name, success, bytes, url"
TRIALS = 12


def load(path: Path) -> tuple[LoadResult, collections.Counter[tuple[Any, ...]]]:
    con = duckdb.connect()
    result = load_samples(con, [path], ReportOptions())
    return result, collections.Counter(con.execute(f"SELECT {IDENTITY} FROM samples").fetchall())


def row(ts: int, label: str = "A", message: str = "OK") -> str:
    return f"{ts},10,{label},200,{message},TG 1-1,text,true,,100,50,1,1,http://x/,5,0,1"


def with_quote(lines: list[str], index: int, pos: int) -> str:
    line = lines[index]
    body = line.rstrip("\r\n")
    lines = list(lines)
    lines[index] = body[:pos] + '"' + body[pos:] + line[len(body) :]
    return "".join(lines)


@pytest.mark.parametrize("fixture", JMETER, ids=[p.parent.name for p in JMETER])
def test_a_stray_quote_anywhere_costs_at_most_its_own_row(tmp_path: Path, fixture: Path) -> None:
    text = fixture.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    clean, clean_rows = load(fixture)
    headerless = not lines[0].startswith("timeStamp")
    rng = random.Random(fixture.parent.name)
    for _ in range(TRIALS):
        index = rng.randrange(0 if headerless else 1, len(lines))
        pos = rng.randrange(len(lines[index].rstrip("\r\n")) + 1)
        damaged = tmp_path / "damaged.jtl"
        damaged.write_text(with_quote(lines, index, pos), encoding="utf-8", newline="")
        result, rows = load(damaged)
        lost = sum((clean_rows - rows).values())  # the damaged row, if not kept (maybe changed)
        where = (index + 1, pos)
        assert lost <= 1, where
        assert result.rows_loaded + result.bad_rows == clean.rows_loaded, where
        if result.bad_rows:
            assert (lost, result.bad_row_lines) == (1, (index + 1,)), where


def test_unclosed_quote_in_a_file_without_quotes_costs_one_row(tmp_path: Path) -> None:
    # Until the fix every row after the quote was swallowed into one "bad row".
    fixture = FIXTURES / "jmeter" / "natanaeldlb-blazedemo-27k" / "results.jtl"
    lines = fixture.read_text(encoding="utf-8").splitlines(keepends=True)
    damaged = tmp_path / "damaged.jtl"
    damaged.write_text(with_quote(lines, 5000, 14), encoding="utf-8")
    result, _ = load(damaged)
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (26997, 1, (5001,))


def test_quote_swallowing_across_the_parallel_readers_chunks(tmp_path: Path) -> None:
    # 9 MB: DuckDB's parallel reader lost some 35,000 rows after the quote here.
    rows = [row(1_700_000_000_000 + i, f"GET /item/{i % 50}") for i in range(100_000)]
    rows[50_000] = rows[50_000].replace(",GET", ',"GET', 1)
    path = tmp_path / "big.jtl"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    result, _ = load(path)
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (99_999, 1, (50_002,))


def test_quoted_line_breaks_are_still_read_next_to_stray_quotes(tmp_path: Path) -> None:
    lines = [
        HEADER,
        row(1000, message='"two\nlines"'),  # 2-3: a real quoted line break
        row(2000, label='"unclosed'),  # 4: stray quote
        row(3000),  # 5
        row(4000, message='"three\r\nlines\nhere"'),  # 6-8
        row(5000, label='x"'),  # 9: a quote inside an unquoted field is text
        row(6000, label='"closed"late'),  # 10: text after the closing quote
        row(7000),  # 11
    ]
    path = tmp_path / "mixed.jtl"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    con = duckdb.connect()
    result = load_samples(con, [path], ReportOptions())
    got = con.execute("SELECT start_ms, label, response_message FROM samples ORDER BY row_id").fetchall()
    assert got == [
        (1000, "A", "two\nlines"),
        (3000, "A", "OK"),
        (4000, "A", "three\r\nlines\nhere"),
        (5000, 'x"', "OK"),
        (7000, "A", "OK"),
    ]
    assert (result.bad_rows, result.bad_row_lines) == (2, (4, 10))


def test_consecutive_spoiled_lines_are_one_run(tmp_path: Path) -> None:
    stray = [row(2000, label='"a'), row(3000, label='"b'), row(4000), row(5000, label='"c')]
    path = tmp_path / "runs.jtl"
    path.write_text("\n".join([HEADER, row(1000), *stray, row(6000)]) + "\n")
    result, _ = load(path)
    assert (result.rows_loaded, result.bad_rows) == (3, 3)
    assert result.bad_row_lines == (3, 4, 6)
    assert [span[1:] for span in result.bad_row_spans] == [(3, 4), (6, 6)]


@pytest.mark.parametrize("kind", ["gzip", "utf-16"])
def test_stray_quote_in_compressed_and_slow_path_files(tmp_path: Path, kind: str) -> None:
    text = "\n".join([HEADER, row(1000), row(2000, label='"stray'), row(3000), row(4000)]) + "\n"
    path = tmp_path / "results.jtl"
    path.write_bytes(gzip.compress(text.encode()) if kind == "gzip" else text.encode("utf-16"))
    result, _ = load(path)
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (3, 1, (3,))


@pytest.mark.parametrize("fixture", XML, ids=[p.name for p in XML])
def test_a_stray_quote_in_xml_costs_only_the_samples_it_spoils(tmp_path: Path, fixture: Path) -> None:
    data = fixture.read_bytes()
    clean, clean_rows = load(fixture)
    rng = random.Random(fixture.name)
    for _ in range(TRIALS * 2):
        pos = rng.randrange(len(data) + 1)
        damaged = tmp_path / "damaged.jtl"
        damaged.write_bytes(data[:pos] + b'"' + data[pos:])
        result, rows = load(damaged)
        lost = sum((clean_rows - rows).values())
        # Every sample is kept or counted; one kept sample may have changed (a quote in its text).
        assert result.rows_loaded + result.bad_rows == clean.rows_loaded, pos
        assert lost - result.bad_rows in (0, 1), pos


def test_xml_reading_resumes_after_a_malformed_sample(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<testResults version="1.2">\n<sample t="1" ts="5" lb="a"/>\n'
        '<sample t="2" ts="6" lb="b"c"/>\n<sample t="3" ts="7" lb="c">\n'
        '  <httpSample t="4" ts="8" lb="d"/>\n</sample>\n</testResults>\n'
    )
    con = duckdb.connect()
    result = load_samples(con, [path], ReportOptions())
    labels = con.execute("SELECT label FROM samples ORDER BY row_id").fetchall()
    assert [r[0] for r in labels] == ["a", "c", "d"]
    assert (result.bad_rows, result.bad_row_lines) == (1, (4,))
    assert any("malformed at line 4" in w and "read on from line 5" in w for w in result.warnings)
