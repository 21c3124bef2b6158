"""The live line and the summary table of ``surge run``."""

from __future__ import annotations

import io
from pathlib import Path

from surge.cli.run_display import LiveLine, format_progress, print_summary
from surge.engine.runner import Progress, RunResult
from surge.engine.summary import LabelSummary


def _progress(**changes: object) -> Progress:
    values: dict[str, object] = dict(
        second=3, elapsed_s=3.0, total_s=10.0, active_users=50, samples=41230, errors=2,
        p50_ms=1.1, p95_ms=2.3, p99_ms=14.0, total_samples=100000, total_errors=7, planned_samples=None,
    )  # fmt: skip
    values.update(changes)
    return Progress(**values)  # type: ignore[arg-type]


def test_live_line_shows_clock_users_rate_percentiles_and_errors() -> None:
    line = format_progress(_progress())
    assert (
        " ".join(line.split())
        == "3s/10s users 50 req/s 41230 p50 1.10ms p95 2.30ms p99 14ms errors 2 (total 7)"
    )


def test_live_line_for_an_iterations_run_counts_samples() -> None:
    line = format_progress(_progress(total_s=None, planned_samples=200000))
    assert "100000/200000 samples" in line


def test_live_line_rewrites_in_place_only_on_a_terminal() -> None:
    stream = io.StringIO()
    live = LiveLine(stream)
    live.show(_progress())
    live.show(_progress(second=4))
    live.close()
    assert stream.getvalue().count("\n") == 2 and "\r" not in stream.getvalue()


def _summary(label: str, samples: int) -> LabelSummary:
    return LabelSummary(
        label, samples, 1, 100 / samples, 2.5, 1.0, 2.0, 4.0, 5.0, 9.0, 12.0, 100.0, 33.3, 7.1
    )


def test_summary_table_has_a_row_per_label_then_total() -> None:
    result = RunResult(
        out_path=Path("results.jtl"),
        labels=(_summary("GET /a", 10), _summary("GET /b", 20)),
        total=_summary("TOTAL", 30),
        duration_s=10.0,
        started_epoch_ms=0,
        processes=2,
        rows_written=30,
        worker_cpu_s=1.0,
        interrupted=False,
        top_errors=(("503 Service Unavailable", 2),),
    )
    out = io.StringIO()
    print_summary(result, out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Run finished in 10s with 2 process(es)")
    assert (
        " ".join(lines[1].split()) == "label samples errors mean p50 p90 p95 p99 max req/s KB/s in KB/s out"
    )
    assert [line.split()[0:3] for line in lines[2:5]] == [
        ["GET", "/a", "10"],
        ["GET", "/b", "20"],
        ["TOTAL", "30", "3.33%"],
    ]
    assert lines[2].split()[3:] == [
        "10.00%",
        "2.50",
        "2.00",
        "4.00",
        "5.00",
        "9.00",
        "12.00",
        "100.0",
        "33.3",
        "7.1",
    ]
    assert lines[5] == "Errors: 2 x 503 Service Unavailable"
    assert lines[6] == "Results: results.jtl (30 samples)"
