"""Messy JTL CSV files: every variant JMeter writes, and the damage real files carry."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.errors import SurgeError, UsageError
from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions
from surge.results.columns import DEFAULT_COLUMNS

HEADER = ",".join(DEFAULT_COLUMNS)


def row(
    ts: object, elapsed: object = 10, label: str = "A", message: str = "OK", failure: str = "", d: str = ","
) -> str:
    fields = [
        str(ts),
        str(elapsed),
        label,
        "200",
        message,
        "TG 1-1",
        "text",
        "true",
        failure,
        "100",
        "50",
        "1",
        "1",
        "http://x/",
        "5",
        "0",
        "1",
    ]
    return d.join(fields)


def load(
    tmp_path: Path, data: bytes | str, name: str = "results.jtl", **options: Any
) -> tuple[Any, LoadResult]:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    con = duckdb.connect()
    return con, load_samples(con, [path], ReportOptions(**options))


def column(con: Any, expr: str) -> list[Any]:
    return [r[0] for r in con.execute(f"SELECT {expr} FROM samples ORDER BY row_id").fetchall()]


@pytest.mark.parametrize("delimiter", [",", "\t", "|", ";"])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    text = (
        HEADER.replace(",", delimiter)
        + "\n"
        + row(1000, label="a,b;c|d", d=delimiter).replace("a,b;c|d", '"a,b;c|d"')
        + "\n"
        + row(2000, d=delimiter)
        + "\n"
    )
    con, result = load(tmp_path, text)
    assert (result.rows_loaded, result.bad_rows) == (2, 0)
    assert column(con, "label") == ["a,b;c|d", "A"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_bom_and_line_ends(tmp_path: Path, newline: str) -> None:
    text = "\ufeff" + HEADER + newline + row(1000) + newline + row(2000) + newline
    con, result = load(tmp_path, text)
    assert result.rows_loaded == 2
    assert column(con, "start_ms") == [1000, 2000]


def test_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path: Path) -> None:
    text = (
        HEADER
        + "\n"
        + row(1000, label='"a,b ""q"""', failure='"line1\nline2\r\nline3"')
        + "\n"
        + row(2000)
        + "\n"
    )
    con, result = load(tmp_path, text)
    assert result.rows_loaded == 2
    assert column(con, "label") == ['a,b "q"', "A"]
    assert column(con, "failure_message") == ["line1\nline2\r\nline3", ""]


def test_bad_rows_are_skipped_counted_and_located(tmp_path: Path) -> None:
    lines = [
        HEADER,
        row(1000),  # 2
        '2000,5,"multi\nline label",200,OK,TG 1-1,text,true,,1,1,1,1,u,1,0,1',  # 3-4
        "1,2,3",  # 5: short row
        row("x"),  # 6: unparsable timestamp
        HEADER,  # 7: repeated header
        row(3000, elapsed=""),  # 8: empty elapsed
        row(4000, label='"bad"x'),  # 9: stray quote after a quoted field
        row(5000) + ",extra",  # 10: long row
        row(6000, elapsed="12ms"),  # 11: not a number
        row(7000),  # 12
    ]
    data = ("\n".join(lines) + "\n").encode()
    data += row(8000, label="\udcff").encode("utf-8", "surrogateescape") + b"\n"  # 13: not UTF-8
    data += row(9000).encode() + b"\n" + row(9999).encode()[:12]  # 14 good, 15 cut short
    con, result = load(tmp_path, data)
    assert column(con, "start_ms") == [1000, 2000, 7000, 9000]
    assert result.bad_rows == 9
    assert result.bad_row_lines == (5, 6, 7, 8, 9, 10, 11, 13, 15)
    assert result.bad_row_locations[0] == (str(tmp_path / "results.jtl"), 5)


def test_more_or_fewer_columns_found_by_name(tmp_path: Path) -> None:
    header = "label,timeStamp,elapsed,success,Hostname,Latency,SampleCount,ErrorCount,Filename,Encoding"
    text = header + "\nA,1000,5,true,host,3,1,0,,UTF-8\nB,2000,6,false,host,4,1,1,,UTF-8\n"
    con, result = load(tmp_path, text)
    assert result.rows_loaded == 2
    got = con.execute(
        "SELECT label, start_ms, elapsed_ms, success, latency_ms, connect_ms, bytes, response_code, url"
        " FROM samples ORDER BY row_id"
    ).fetchall()
    assert got == [("A", 1000, 5, True, 3, 0, 0, "", ""), ("B", 2000, 6, False, 4, 0, 0, "", "")]


def test_queue_time_variable_column(tmp_path: Path) -> None:
    text = HEADER + ',"queueTime","other"\n' + row(1000) + ",12,x\n" + row(2000) + ",,y\n"
    con, _ = load(tmp_path, text)
    assert column(con, "queue_ms") == [12, None]


def test_headerless_file_uses_default_columns(tmp_path: Path) -> None:
    text = row(1000, label='"a,b"') + "\n" + row(2000) + "\n"
    con, _ = load(tmp_path, text)
    assert column(con, "label") == ["a,b", "A"]
    _, compat = load(tmp_path, text, name="compat.jtl", jmeter_compat=True)
    assert compat.rows_loaded == 1


def test_headerless_tab_file(tmp_path: Path) -> None:
    con, _ = load(tmp_path, row(1000, d="\t") + "\n" + row(2000, label="x,y", d="\t") + "\n")
    assert column(con, "label") == ["A", "x,y"]


def test_custom_date_format_in_a_time_zone(tmp_path: Path) -> None:
    text = HEADER + "\n" + row("02.01.2024 10:00:00.250") + "\n"
    con, _ = load(tmp_path, text, timestamp_format="dd.MM.yyyy HH:mm:ss.SSS", timezone="Europe/Paris")
    assert column(con, "start_ms") == [1704186000250]  # 09:00:00.250 UTC


def test_date_format_with_offset(tmp_path: Path) -> None:
    text = HEADER + "\n" + row("2024-01-02T10:00:00.000+02:00") + "\n"
    con, _ = load(
        tmp_path, text, timestamp_format="yyyy-MM-dd'T'HH:mm:ss.SSSXXX", timezone="America/New_York"
    )
    assert column(con, "start_ms") == [1704182400000]  # 08:00 UTC: the offset wins over the zone


def test_common_date_format_is_recognised(tmp_path: Path) -> None:
    text = HEADER + "\n" + row("2024/01/02 10:00:00.123") + "\n" + row("garbage") + "\n"
    con, result = load(tmp_path, text)
    assert column(con, "start_ms") == [1704189600123]
    assert result.bad_row_lines == (3,)
    assert any("yyyy/MM/dd HH:mm:ss.SSS" in w for w in result.warnings)


def test_unknown_date_format_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SurgeError, match="neither epoch milliseconds nor a known date format"):
        load(tmp_path, HEADER + "\n" + row("Tuesday noon") + "\n")


def test_bad_timestamp_format_or_zone_is_usage_error(tmp_path: Path) -> None:
    text = HEADER + "\n" + row("2024") + "\n"
    with pytest.raises(UsageError, match="not supported"):
        load(tmp_path, text, timestamp_format="yyyy QQ")
    with pytest.raises(UsageError, match="time zone"):
        load(tmp_path, text, timestamp_format="yyyy", timezone="Mars/Olympus")


def test_end_timestamps(tmp_path: Path) -> None:
    con, _ = load(tmp_path, HEADER + "\n" + row(1000, elapsed=100) + "\n", timestamp_is_start=False)
    assert con.execute("SELECT start_ms, end_ms, elapsed_ms FROM samples").fetchall() == [(900, 1000, 100)]


def test_start_end_window_applies_to_sample_start(tmp_path: Path) -> None:
    text = HEADER + "\n" + "\n".join(row(t, elapsed=600) for t in (1000, 2000, 3000)) + "\n"
    con, result = load(tmp_path, text, start_ms=2000, end_ms=2999)
    assert column(con, "start_ms") == [2000]
    assert column(con, "row_id") == [0]
    assert result.rows_loaded == 1


def test_label_filter_full_match(tmp_path: Path) -> None:
    text = (
        HEADER + "\n" + "\n".join(row(1000 + i, label=lb) for i, lb in enumerate(["a1", "a1x", "b1"])) + "\n"
    )
    con, _ = load(tmp_path, text, include_labels="a\\d")
    assert column(con, "in_label_filter") == [True, False, False]
    con, _ = load(tmp_path, text, exclude_labels="(?!b).*")  # a lookahead: beyond RE2, fine in Java
    assert column(con, "in_label_filter") == [False, False, True]


def test_bad_regex_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--exclude"):
        load(tmp_path, HEADER + "\n" + row(1000) + "\n", exclude_labels="a(")


def test_several_files_in_order(tmp_path: Path) -> None:
    first = tmp_path / "one.jtl"
    second = tmp_path / "two.csv"
    first.write_text(HEADER + "\n" + row(5000, label="one") + "\n" + row(1000, label="one") + "\n")
    second.write_text(HEADER.replace(",", ";") + "\n" + row(3000, label="two", d=";") + "\n")
    con = duckdb.connect()
    result = load_samples(con, [first, second], ReportOptions())
    assert result.rows_loaded == 3
    assert result.sources == (str(first), str(second))
    assert con.execute("SELECT row_id, label, start_ms FROM samples ORDER BY row_id").fetchall() == [
        (0, "one", 5000),
        (1, "one", 1000),
        (2, "two", 3000),
    ]


def test_unreadable_file_among_good_ones_is_a_warning(tmp_path: Path) -> None:
    good = tmp_path / "good.jtl"
    good.write_text(HEADER + "\n" + row(1000) + "\n")
    odd = tmp_path / "odd.jtl"
    odd.write_text("1,2,3\n")
    result = load_samples(duckdb.connect(), [odd, good], ReportOptions())
    assert result.rows_loaded == 1
    assert any("odd.jtl" in w and "not read" in w for w in result.warnings)


def test_missing_file_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_samples(duckdb.connect(), [tmp_path / "missing.jtl"], ReportOptions())


@pytest.mark.parametrize(
    "data",
    [b"", HEADER.encode() + b"\n", (HEADER + "\n1,2\n").encode()],
    ids=["empty", "header-only", "all-bad"],
)
def test_no_readable_sample_is_an_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(SurgeError, match="no readable sample"):
        load(tmp_path, data)


def test_utf16_and_mixed_line_ends_take_the_slow_path(tmp_path: Path) -> None:
    text = HEADER + "\n" + row(1000, label="é") + "\n1,2\n" + row(2000) + "\n"
    con, result = load(tmp_path, text.encode("utf-16"))
    assert column(con, "label") == ["é", "A"]
    assert result.bad_row_lines == (3,)
    mixed = HEADER + "\r\n" + row(1000) + "\n" + row(2000) + "\r" + "1,2\n" + row(3000) + "\n"
    con, result = load(tmp_path, mixed, name="mixed.jtl")
    assert column(con, "start_ms") == [1000, 2000, 3000]
    assert (result.bad_rows, result.bad_row_lines) == (1, (4,))


def test_gzip_file(tmp_path: Path) -> None:
    data = gzip.compress((HEADER + "\n" + row(1000) + "\n1,2\n" + row(2000) + "\n").encode())
    con, result = load(tmp_path, data, name="results.jtl.gz")
    assert column(con, "start_ms") == [1000, 2000]
    assert result.bad_row_lines == (3,)


def test_thread_group_and_controller_flags(tmp_path: Path) -> None:
    lines = [
        HEADER,
        row(1000).replace("TG 1-1", "My Group 1-3"),
        row(2000, message='"Number of samples in transaction : 2, number of failing samples : 0"'),
        row(3000, message='"Number of samples in transaction : 0, number of failing samples : 0"'),
        row(4000).replace("TG 1-1", "nospace"),
    ]
    con, _ = load(tmp_path, "\n".join(lines) + "\n")
    got = con.execute("SELECT thread_group, is_controller, is_empty_controller FROM samples ORDER BY row_id")
    assert got.fetchall() == [
        ("My Group", False, False),
        ("TG", True, False),
        ("TG", True, True),
        ("nospace", False, False),
    ]


@pytest.mark.parametrize("window", [False, True])
def test_bad_rows_counted_exactly_past_the_rejects_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: bool
) -> None:
    from surge.report import load_csv

    monkeypatch.setattr(load_csv, "REJECTS_LIMIT", 5)
    lines = [HEADER, row(1000), *([row("x") + ",long"] * 12), *(["1,2"] * 8), row(2000), row(9000)]
    options = {"start_ms": 0, "end_ms": 5000} if window else {}
    con, result = load(tmp_path, "\n".join(lines) + "\n", **options)
    assert column(con, "start_ms") == ([1000, 2000] if window else [1000, 2000, 9000])
    assert result.bad_rows == 20
    assert result.bad_row_lines[0] == 3


def test_file_cut_inside_a_quoted_field(tmp_path: Path) -> None:
    text = HEADER + "\n" + row(1000) + "\n" + row(2000) + '\n3000,5,TC,200,"Number of samp'
    con, result = load(tmp_path, text)
    assert column(con, "start_ms") == [1000, 2000]
    assert (result.bad_rows, result.bad_row_lines) == (1, (4,))


def test_headerless_file_with_bom_and_dates(tmp_path: Path) -> None:
    text = (
        "\ufeff"
        + row("2024/01/02 10:00:00.123")
        + "\n"
        + row("2024/01/02 10:00:00.124", label='"x,y"')
        + "\n"
    )
    con, _ = load(tmp_path, text)
    assert column(con, "start_ms") == [1704189600123, 1704189600124]
    assert column(con, "label") == ["A", "x,y"]


def test_file_name_that_looks_like_a_glob(tmp_path: Path) -> None:
    (tmp_path / "a*.jtl").write_text(HEADER + "\n" + row(1000, label="star") + "\n")
    (tmp_path / "ab.jtl").write_text(HEADER + "\n" + row(2000, label="other") + "\n")
    con = duckdb.connect()
    load_samples(con, [tmp_path / "a*.jtl"], ReportOptions())
    assert column(con, "label") == ["star"]
