"""LoadResult.clocks: how each file's timestamps were read (surge compare refuses mixed clocks)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from surge.report.load import EPOCH_MS, FileClock, load_samples
from surge.report.options import ReportOptions

XML_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter-xml"
HEADER = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
HEADER += "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"


def _file(path: Path, stamps: list[str]) -> Path:
    rows = "".join(f"{t},100,a,200,OK,T 1-1,text,true,,10,10,1,1,u,5,0,0\n" for t in stamps)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("stamps", "options", "kind", "zone"),
    [
        (["1735722000000", "1735722000100"], ReportOptions(), EPOCH_MS, ""),
        (["2025/01/01 09:00:00.000", "2025/01/01 09:00:01.000"], ReportOptions(), "dates to the millisecond",
         "UTC (no zone in the file)"),
        (["2025-01-01 09:00:00", "2025-01-01 09:00:01"], ReportOptions(timezone="Europe/Paris"),
         "dates to the second", "Europe/Paris (no zone in the file)"),
        (["2025-01-01T09:00:00.000+02:00", "2025-01-01T09:00:01.000+02:00"], ReportOptions(),
         "dates to the millisecond", "+0200"),
        (["2025-01-01T09:00:00.000Z", "2025-01-01T09:00:01.000+01:00"], ReportOptions(),
         "dates to the millisecond", "+0000, +0100"),
    ],
)  # fmt: skip
def test_each_file_says_how_its_timestamps_were_read(
    tmp_path: Path, stamps: list[str], options: ReportOptions, kind: str, zone: str
) -> None:
    path = _file(tmp_path / "r.jtl", stamps)
    load = load_samples(duckdb.connect(), [path], options)
    assert load.clocks == (FileClock(str(path), kind, zone),)


def test_xml_results_have_epoch_milliseconds() -> None:
    path = XML_FIXTURES / "performance-plugin-constraint-test.jtl"
    load = load_samples(duckdb.connect(), [path], ReportOptions())
    assert load.clocks == (FileClock(str(path), EPOCH_MS, ""),)
