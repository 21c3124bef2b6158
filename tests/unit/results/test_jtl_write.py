"""JTL writer: JMeter's quoting, the row definition, part files and merging.

That the engine's hot paths write the same bytes as ``format_row`` is checked on real runs in
tests/integration/engine/test_row_bytes.py.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from surge.results.columns import DEFAULT_HEADER
from surge.results.jtl_write import (
    JtlPartWriter,
    format_row,
    merge_parts,
    quote_field,
)
from surge.results.sample import Sample


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("", ""),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("cr\rhere", '"cr\rhere"'),
        ("tab\tand;semicolon", "tab\tand;semicolon"),  # only the delimiter, quotes, CR and LF trigger quoting
        ("Non HTTP response code: ConnectionRefusedError", "Non HTTP response code: ConnectionRefusedError"),
    ],
)
def test_quoting_is_jmeters(text: str, expected: str) -> None:
    assert quote_field(text) == expected


def test_quoting_with_another_delimiter() -> None:
    assert quote_field("a,b", delimiter="\t") == "a,b"
    assert quote_field("a\tb", delimiter="\t") == '"a\tb"'


def _sample(**changes: object) -> Sample:
    values: dict[str, object] = dict(
        timestamp_ms=1700000000123,
        elapsed_ms=15,
        label='GET /a,"b"',
        response_code="200",
        response_message="OK, fine",
        thread_name="surge 1-7",
        data_type="text",
        success=True,
        failure_message="",
        bytes_received=512,
        bytes_sent=80,
        grp_threads=10,
        all_threads=10,
        url="http://127.0.0.1:8080/a,b",
        latency_ms=12,
        idle_time_ms=0,
        connect_ms=3,
    )
    values.update(changes)
    return Sample(**values)  # type: ignore[arg-type]


def test_row_has_17_columns_in_jmeter_order_and_round_trips_through_csv() -> None:
    row = format_row(_sample())
    assert row.endswith("\n")
    fields = next(csv.reader(io.StringIO(row)))
    assert len(fields) == len(DEFAULT_HEADER.split(","))
    assert fields == [
        "1700000000123", "15", 'GET /a,"b"', "200", "OK, fine", "surge 1-7", "text", "true", "",
        "512", "80", "10", "10", "http://127.0.0.1:8080/a,b", "12", "0", "3",
    ]  # fmt: skip
    assert row.startswith('1700000000123,15,"GET /a,""b""",200,"OK, fine",surge 1-7,text,true,,512,')


def test_part_writer_writes_whole_rows_only_on_flush(tmp_path: Path) -> None:
    path = tmp_path / "r.jtl.part1"
    writer = JtlPartWriter(path)
    writer.rows.append(format_row(_sample()))
    assert path.read_text() == DEFAULT_HEADER + "\n"
    writer.flush()
    assert path.read_text().count("\n") == 2
    writer.close()
    assert writer.rows_written == 1


def test_merge_keeps_one_header_and_cuts_torn_last_lines(tmp_path: Path) -> None:
    row = format_row(_sample())
    p1 = tmp_path / "r.jtl.part1"
    p2 = tmp_path / "r.jtl.part2"
    p1.write_text(DEFAULT_HEADER + "\n" + row + row)
    p2.write_text(DEFAULT_HEADER + "\n" + row + row[:20])  # a killed worker's torn last line
    out = tmp_path / "r.jtl"
    assert merge_parts([p1, p2], out) == 3
    text = out.read_text()
    assert text == DEFAULT_HEADER + "\n" + row * 3
    assert not p1.exists() and not p2.exists()


def test_merge_of_one_part_is_a_rename(tmp_path: Path) -> None:
    p1 = tmp_path / "r.jtl.part1"
    p1.write_text(DEFAULT_HEADER + "\n")
    out = tmp_path / "r.jtl"
    assert merge_parts([p1], out) == 0
    assert out.read_text() == DEFAULT_HEADER + "\n"
