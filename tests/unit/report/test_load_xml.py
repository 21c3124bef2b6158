"""JMeter XML results load into the same samples table as CSV, sub-samples as rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from surge.errors import SurgeError
from surge.report.load import load_samples
from surge.report.options import ReportOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_nested_xml_fixture() -> None:
    con = duckdb.connect()
    result = load_samples(con, [FIXTURES / "jmeter-xml" / "taurus-resource-tc.jtl"], ReportOptions())
    assert (result.rows_loaded, result.bad_rows) == (107, 0)
    assert con.execute("SELECT count(*) FILTER (is_controller) FROM samples").fetchone() == (3,)
    first = con.execute(
        "SELECT row_id, label, start_ms, end_ms, success, response_message, thread_group, bytes, connect_ms,"
        " latency_ms FROM samples ORDER BY row_id LIMIT 1"
    ).fetchone()
    assert first == (0, "tc3", 1440785666575, 1440785666626, False, "message", "Thread Group", 12172, 1, 3)


def test_xml_and_csv_files_combine_in_order(tmp_path: Path) -> None:
    xml = FIXTURES / "jmeter-xml" / "performance-plugin-multilevel-assertions.jtl"
    csv = FIXTURES / "jmeter" / "apache-jmeter-htmlreport" / "results.jtl"
    con = duckdb.connect()
    result = load_samples(con, [xml, csv], ReportOptions())
    assert result.rows_loaded == 10 + 255
    rows = con.execute("SELECT row_id, label FROM samples WHERE row_id IN (9, 10) ORDER BY row_id").fetchall()
    assert rows[0][1] in ("Home", "Workgroup")
    assert rows[1][1].startswith("JR-")


def test_bad_xml_sample_line(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<testResults version="1.2">\n<sample t="1" ts="5" lb="a"/>\n'
        '<sample t="x" ts="6" lb="b"/>\n</testResults>\n'
    )
    result = load_samples(duckdb.connect(), [path], ReportOptions())
    assert (result.rows_loaded, result.bad_rows, result.bad_row_lines) == (1, 1, (4,))


def test_xml_that_is_not_results_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "page.jtl"
    path.write_text("<html><body>hi</body></html>\n")
    with pytest.raises(SurgeError, match="root element is <html>"):
        load_samples(duckdb.connect(), [path], ReportOptions())
