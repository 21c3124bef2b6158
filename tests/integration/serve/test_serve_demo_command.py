"""``surge demo`` end to end, interrupted: the run ends early, the report is written, the server is gone."""

from __future__ import annotations

import json
import signal

import pytest
from serve_harness import Harness, alive, wait_for

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


def test_demo_interrupted_still_reports_and_stops_the_server(harness: Harness) -> None:
    out = harness.folder / "demo"
    process = harness.start(
        "surge", "demo", "-d", "60s", "--ramp-up", "1s", "-u", "4", "-w", "1", "-o", str(out)
    )
    assert process.stderr is not None
    progress_lines = 0
    for line in process.stderr:  # the live line, one per second when not on a terminal
        if "users" in line and "req/s" in line:
            progress_lines += 1
            if progress_lines == 3:
                break
    harness.remember_servers()
    master = int((out / "run" / "serve.pid").read_text())
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130, stdout
    assert "interrupted after" in stdout
    assert "Report:" in stdout
    wait_for(lambda: not alive(master), 10, "the demo server to exit")
    assert not any(alive(pid) for pid in harness.pids - {process.pid})

    statistics = json.loads((out / "report" / "statistics.json").read_text())
    assert {"hello", "io 50ms", "predict", "cpu 20k", "health", "Total"} <= set(statistics)
    assert statistics["Total"]["sampleCount"] > 0
    assert (out / "report" / "index.html").exists()
    assert (out / "logs" / "access.log").stat().st_size > 0
