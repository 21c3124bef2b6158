"""An open-model results file (trailing "queueTime" column) gets the Queue Time Over Time chart."""

from __future__ import annotations

import json
from pathlib import Path

from surge.report.build import build_report
from surge.report.options import ReportOptions
from surge.results.columns import DEFAULT_HEADER

T0_MS = 1_700_000_000_000


def _write_results(path: Path, with_queue: bool) -> None:
    lines = [DEFAULT_HEADER + (',"queueTime"' if with_queue else "")]
    for i in range(120):
        # A stall in the middle: requests that waited 800 ms to leave.
        queue_ms = 800 if 50 <= i < 60 else 0
        row = (
            f"{T0_MS + i * 500},{12 + queue_ms},GET /,200,OK,surge 1-1,text,true,,100,50,1,1,"
            f"http://127.0.0.1/,{10 + queue_ms},0,0"
        )
        lines.append(row + (f",{queue_ms}" if with_queue else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _over_time_chart_ids(out: Path) -> list[str]:
    html = (out / "content/pages/OverTime.html").read_text(encoding="utf-8")
    data = json.loads(html.split('id="surge-data">', 1)[1].split("</script>", 1)[0])
    return [chart["id"] for chart in data["charts"]]


def test_queue_chart_drawn_for_open_model_results(tmp_path: Path) -> None:
    results = tmp_path / "open.jtl"
    _write_results(results, with_queue=True)
    build_report([results], tmp_path / "report", ReportOptions())
    ids = _over_time_chart_ids(tmp_path / "report")
    assert "queueTimeOverTime" in ids
    html = (tmp_path / "report/content/pages/OverTime.html").read_text(encoding="utf-8")
    data = json.loads(html.split('id="surge-data">', 1)[1].split("</script>", 1)[0])
    (chart,) = [c for c in data["charts"] if c["id"] == "queueTimeOverTime"]
    max_series = [s for s in chart["series"] if s["label"].lower().startswith("max")]
    assert max_series and max(y for y in max_series[0]["y"] if y is not None) == 800


def test_no_queue_chart_for_closed_model_results(tmp_path: Path) -> None:
    results = tmp_path / "closed.jtl"
    _write_results(results, with_queue=False)
    build_report([results], tmp_path / "report", ReportOptions())
    ids = _over_time_chart_ids(tmp_path / "report")
    assert "queueTimeOverTime" not in ids
    assert "responseTimesOverTime" in ids
