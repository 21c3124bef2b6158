"""JMeter XML results read as the rows JMeter's CSV writer would write."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from surge.results.read_counts import ReadCounts
from surge.results.xml_read import COLUMNS, xml_to_csv

XML_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter-xml"


def read(data: bytes) -> tuple[list[dict[str, str]], ReadCounts]:
    out = io.StringIO()
    result = xml_to_csv(io.BytesIO(data), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert all(list(r) == list(COLUMNS) for r in rows)
    return rows, result


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("performance-plugin-constraint-test.jtl", 1010),
        ("performance-plugin-multilevel-assertions.jtl", 10),
        ("taurus-resource-tc.jtl", 5 + 102),  # top-level samples + nested sub-samples (SOURCE.md)
    ],
)
def test_fixtures(name: str, rows: int) -> None:
    got, result = read((XML_FIXTURES / name).read_bytes())
    assert len(got) == rows
    assert result.bad_rows == 0


def test_nested_samples_come_after_their_parent_depth_first() -> None:
    got, _ = read((XML_FIXTURES / "taurus-resource-tc.jtl").read_bytes())
    assert [r["label"] for r in got[:4]] == ["tc3", "tc1", "tc2r1", "http://127.0.0.1:8000/"]
    tc1 = got[1]
    assert tc1["responseMessage"] == "Number of samples in transaction : 4, number of failing samples : 4"
    assert (tc1["timeStamp"], tc1["elapsed"], tc1["success"], tc1["bytes"]) == (
        "1440785666677",
        "619",
        "false",
        "31881",
    )
    assert got[2]["URL"] == "http://127.0.0.1:8000/rnr/"
    assert got[2]["Connect"] == "63"


SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<testResults version="1.2">
<httpSample t="5" it="1" lt="3" ct="2" ts="1000" s="false" lb="a &amp; b" rc="500" rm="Err&#10;or"
  tn="G 1-1" dt="text" by="10" sby="7" ng="2" na="3" hn="host">
  <assertionResult><name>one</name><failure>false</failure><error>false</error></assertionResult>
  <assertionResult><name>two</name><failure>true</failure><error>false</error>
    <failureMessage>expected x, got "y"</failureMessage></assertionResult>
  <assertionResult><name>three</name><failure>true</failure><error>false</error>
    <failureMessage>later</failureMessage></assertionResult>
  <java.net.URL>http://h/p?q=1</java.net.URL>
</httpSample>
<sample t="oops" ts="2000" lb="bad"/>
<sample t="1" ts="3000" lb="plain"/>
</testResults>
"""


def test_attributes_and_first_failed_assertion() -> None:
    got, result = read(SAMPLE)
    first = got[0]
    assert first["label"] == "a & b"
    assert first["responseMessage"] == "Err\nor"
    assert first["failureMessage"] == 'expected x, got "y"'
    assert first["URL"] == "http://h/p?q=1"
    assert [first[k] for k in ("elapsed", "IdleTime", "Latency", "Connect", "bytes", "sentBytes")] == [
        "5",
        "1",
        "3",
        "2",
        "10",
        "7",
    ]
    assert [first[k] for k in ("grpThreads", "allThreads", "success", "sourceLine")] == [
        "2",
        "3",
        "false",
        "3",
    ]
    # A non-numeric time is passed on, with its line, for the CSV reader to reject.
    assert (got[1]["label"], got[1]["elapsed"], got[1]["sourceLine"]) == ("bad", "oops", "12")
    assert (got[2]["label"], got[2]["success"], got[2]["bytes"]) == ("plain", "true", "0")
    assert result.bad_rows == 0


def test_truncated_file_keeps_finished_samples() -> None:
    data = SAMPLE.split(b'<sample t="oops"')[0] + b'<httpSample t="1" ts="5" lb="cut"><assertionRes'
    got, result = read(data)
    assert [r["label"] for r in got] == ["a & b"]
    assert result.bad_rows == 1
    assert result.warnings
