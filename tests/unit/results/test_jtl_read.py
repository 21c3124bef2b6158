"""Recognising JTL CSV dialects from a file's first bytes."""

from __future__ import annotations

import pytest

from surge.results.columns import DEFAULT_COLUMNS
from surge.results.jtl_read import file_kind, sniff_csv

HEADER = ",".join(DEFAULT_COLUMNS)
ROW = "1700000000000,10,A,200,OK,TG 1-1,text,true,,100,50,1,1,http://x/,5,0,1"


def test_file_kind() -> None:
    assert file_kind(b"") == "empty"
    assert file_kind(b"\xef\xbb\xbf \n") == "empty"
    assert file_kind(b'<?xml version="1.0"?>\n<testResults>') == "xml"
    assert file_kind(b"\xef\xbb\xbf<testResults>") == "xml"
    assert file_kind(HEADER.encode()) == "csv"


@pytest.mark.parametrize("delimiter", [",", "\t", "|", ";", "!"])
def test_header_delimiter(delimiter: str) -> None:
    head = (HEADER.replace(",", delimiter) + "\n" + ROW.replace(",", delimiter) + "\n").encode()
    layout = sniff_csv(head, complete=True)
    assert layout.has_header
    assert layout.delimiter == delimiter
    assert layout.columns == DEFAULT_COLUMNS
    assert layout.sample_records[0][0] == "1700000000000"


def test_header_with_bom_variables_and_odd_case() -> None:
    head = ("\ufeff" + HEADER.replace("Latency", "latency") + ',"queuetime","myVar"\r\n').encode()
    layout = sniff_csv(head, complete=True)
    assert layout.columns == (*DEFAULT_COLUMNS, "queueTime", "myVar")
    assert layout.sample_records == ()


def test_headerless_default_columns_and_delimiter() -> None:
    text = ROW.replace(",", "\t").replace("A", "a,b") + "\n" + ROW.replace(",", "\t") + "\n"
    layout = sniff_csv(text.encode(), complete=True)
    assert not layout.has_header
    assert layout.delimiter == "\t"
    assert layout.columns == DEFAULT_COLUMNS
    assert len(layout.sample_records) == 2


def test_headerless_with_extra_variable_columns() -> None:
    layout = sniff_csv((ROW + ",7,x\n").encode(), complete=True)
    assert layout.columns == (*DEFAULT_COLUMNS, "variable1", "variable2")


def test_headerless_too_few_columns() -> None:
    with pytest.raises(ValueError, match="header-less"):
        sniff_csv(b"1,2,3\n", complete=True)


def test_incomplete_head_drops_cut_record() -> None:
    head = (HEADER + "\n" + ROW + "\n" + ROW[:20]).encode()
    assert len(sniff_csv(head, complete=False).sample_records) == 1
