"""Open model against a server that stalls for 1 s every 5 s: the stall shows, nothing is dropped."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.runner import run_plan
from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup
from surge.results.columns import DEFAULT_COLUMNS, QUEUE_COLUMN


def test_stalling_server_shows_in_p99_and_queue_time(tmp_path: Path, server: LocalHttpServer) -> None:
    # 40 arrivals/s for 6 s; the server stalls from 4 s to 5 s after its first request. With at most
    # 4 requests in flight, arrivals during the stall queue: their latency counts from the
    # intended send time (as wrk2), their wait is in queueTime, and they are counted as late.
    plan = Plan(
        groups=(
            UserGroup(
                requests=(Request(f"{server.base_url}/stall"),),
                load=LoadModel(rate_per_s=40.0, duration_s=6.0, max_in_flight=4),
            ),
        ),
        client=ClientOptions(timeout_s=5.0),
    )
    out = tmp_path / "open.jtl"
    result = run_plan(plan, out, processes=1)
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == (*DEFAULT_COLUMNS, QUEUE_COLUMN)
        rows = list(reader)
    assert '"queueTime"' in out.read_text().splitlines()[0]
    assert result.arrivals == 240 == len(rows) == result.total.samples  # none dropped
    assert [r for r in rows if r["success"] != "true"] == []
    elapsed = sorted(int(r["elapsed"]) for r in rows)
    queue = [int(r["queueTime"]) for r in rows]
    # About 40 of 240 arrivals fall in the stall: far more than 1 %, so p99 is stall-sized.
    assert result.total.p99_ms >= 500
    assert elapsed[int(len(elapsed) * 0.99)] >= 500
    assert result.total.p50_ms < 200
    assert max(queue) >= 500 and result.late_arrivals >= 10
    assert result.max_queue_ms == max(queue) and min(queue) >= 0
    # The row's own timing is from the intended time: it includes the queueing delay.
    assert [r for r in rows if int(r["elapsed"]) < int(r["queueTime"])] == []
    stamps = sorted(int(r["timeStamp"]) for r in rows)
    # timeStamp is the intended send time: evenly 25 ms apart whatever the server did.
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert [g for g in gaps if not 23 <= g <= 27] == [], gaps

    # The report, computed from the file alone, shows it too: its p99 and its queue-time chart.
    done = subprocess.run(
        [sys.executable, "-m", "surge", "report", str(out), "-o", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    total = json.loads((tmp_path / "report" / "statistics.json").read_text())["Total"]
    assert total["sampleCount"] == 240 and total["pct3ResTime"] >= 500
    assert "Queue" in (tmp_path / "report" / "content" / "pages" / "OverTime.html").read_text()
