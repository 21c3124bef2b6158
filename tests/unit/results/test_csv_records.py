"""Records split as a strict CSV reader does, but a stray quote spoils only its own line."""

from __future__ import annotations

import io
from pathlib import Path

from surge.results.csv_records import RecordRules, records
from surge.results.jtl_repair import examine, long_lines, write_repaired

RULES = RecordRules(",", 3, numeric=frozenset({0}), required=frozenset({0}))


def split(text: str) -> list[tuple[int, int, list[str] | None]]:
    return [(r.line, r.lines, r.fields) for r in records(io.StringIO(text, newline=""), RULES)]


def test_well_formed_records_may_span_lines() -> None:
    assert split('1,a,b\n2,"x\r\ny",c\n\n3,d,e') == [
        (1, 1, ["1", "a", "b"]),
        (2, 2, ["2", "x\r\ny", "c"]),
        (5, 1, ["3", "d", "e"]),
    ]


def test_a_quote_that_does_not_close_well_spoils_its_line_only() -> None:
    assert split('1,a,b\n2,"bad,c\n3,d,e\n4,"q",r\n') == [
        (1, 1, ["1", "a", "b"]),
        (2, 1, None),
        (3, 1, ["3", "d", "e"]),
        (4, 1, ["4", "q", "r"]),
    ]
    # Closing into a record of the wrong width, or with text where a number belongs, is no better.
    assert [r[2] is None for r in split('1,"a\n2",b,c\n')] == [True, False]
    assert [r[2] is None for r in split('x,"a\nb",c\n')] == [True, False]  # line 2 as read: b", c


def test_single_lines_are_returned_as_read() -> None:
    assert split('1,a"b,c\n1,"a"b,c\n1,2\n') == [(1, 1, ["1", 'a"b', "c"]), (2, 1, None), (3, 1, ["1", "2"])]


def test_repaired_copy_keeps_every_offset(tmp_path: Path) -> None:
    data = b'h1,h2,h3\n1,a,b\n2,"bad,c\r\n3,d,e\n4,"q\nr",s\n'
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    at = data.index(b'2,"bad')
    regions = examine(path, RULES, [at], skip_before=data.index(b"1,"))
    bad = [b for r in regions for b in r.bad]
    assert bad == [(at, len(b'2,"bad,c'))]
    out = tmp_path / "out.csv"
    write_repaired(path, out, bad)
    assert out.read_bytes() == data.replace(b'2,"bad,c', b"x" * 8)


def test_long_lines_are_found(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(b"a\n" + b"y" * 5000 + b"\r\nb\n" + b"z" * 3000)
    assert long_lines(path, 1000) == [(2, 5000), (5006, 3000)]
    assert long_lines(path, 6000) == []
