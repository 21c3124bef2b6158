"""Encodings and compressed files: read what can be read, name what cannot."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import duckdb
import pytest

from surge.errors import UsageError
from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions
from surge.results.columns import DEFAULT_COLUMNS

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter" / "langzy-p2p-gbk" / "results.jtl"
HEADER = ",".join(DEFAULT_COLUMNS)


def load(tmp_path: Path, data: bytes, name: str = "results.jtl") -> tuple[Any, LoadResult]:
    path = tmp_path / name
    path.write_bytes(data)
    con = duckdb.connect()
    return con, load_samples(con, [path], ReportOptions())


@pytest.mark.parametrize(
    "codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"]
)
def test_utf16_and_utf32_with_or_without_bom(tmp_path: Path, codec: str) -> None:
    text = FIXTURE.read_text(encoding="utf-8")  # Chinese labels
    con, result = load(tmp_path, text.encode(codec))
    assert (result.rows_loaded, result.bad_rows) == (11, 0)
    labels = [r[0] for r in con.execute("SELECT label FROM samples ORDER BY row_id").fetchall()]
    assert labels[0] == "获取图片验证码"


def test_an_8_bit_encoding_is_named(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    with pytest.raises(UsageError, match="not valid UTF-8 text: byte 0xbb on line 2"):
        load(tmp_path, text.encode("gbk"))
    # Some rows readable: they are kept, and the warning says why the others are not.
    mixed = (
        HEADER
        + "\n1000,5,plain,200,OK,T 1-1,text,true,,1,1,1,1,u,1,0,1"
        + "\n2000,5,café,200,OK,T 1-1,text,true,,1,1,1,1,u,1,0,1\n"
    )
    _, result = load(tmp_path, mixed.encode("latin-1"), "latin.jtl")
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (1, 1, (3,))
    assert any("not valid UTF-8 text: byte 0xe9 on line 3" in w for w in result.warnings)


def test_binary_data_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not text in UTF-8, UTF-16 or UTF-32"):
        load(tmp_path, bytes(range(256)) * 20)


@pytest.mark.parametrize("data", [b"", b"\n\n", gzip.compress(b"")], ids=["empty", "blank", "empty-gzip"])
def test_empty_input_is_a_usage_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UsageError, match="is empty"):
        load(tmp_path, data)


def test_not_a_results_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no readable sample"):
        load(tmp_path, b"hello\nworld\n")


@pytest.mark.parametrize("size", [3000, 300_000], ids=["small", "large"])
def test_gzip_cut_short_keeps_the_rows_before_the_cut(tmp_path: Path, size: int) -> None:
    rows = [f"{1000 + i},5,A,200,OK,T 1-1,text,true,,1,1,1,1,u,1,0,1" for i in range(size // 40)]
    packed = gzip.compress((HEADER + "\n" + "\n".join(rows) + "\n").encode())
    cut = packed[: len(packed) * 2 // 3]
    _, result = load(tmp_path, cut, "results.jtl.gz")
    assert 0 < result.rows_loaded < len(rows)
    assert result.bad_rows <= 1  # the line cut in two
    assert any("gzip data ends early" in w for w in result.warnings)


def test_gzip_cut_short_xml(tmp_path: Path) -> None:
    xml = '<?xml version="1.0"?>\n<testResults version="1.2">\n' + "".join(
        f'<sample t="1" ts="{1000 + i}" lb="a"/>\n' for i in range(2000)
    )
    packed = gzip.compress(xml.encode())
    _, result = load(tmp_path, packed[: len(packed) // 2], "results.xml.gz")
    assert 0 < result.rows_loaded < 2000
    assert any("gzip data ends early" in w for w in result.warnings)


def test_damaged_gzip_is_one_clear_error(tmp_path: Path) -> None:
    packed = bytearray(
        gzip.compress((HEADER + "\n" + "1000,5,A,200,OK,T,text,true,,1,1,1,1,u,1,0,1\n").encode())
    )
    packed[12:20] = b"\xff" * 8
    with pytest.raises(UsageError, match="gzip data is damaged"):
        load(tmp_path, bytes(packed), "results.jtl.gz")
