"""run_plan with several worker processes: merged file, summary and thread counts agree."""

from __future__ import annotations

import csv
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.runner import Progress, run_plan
from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup
from surge.results.columns import DEFAULT_COLUMNS


def test_two_processes_merge_into_one_file(tmp_path: Path, server: LocalHttpServer) -> None:
    plan = Plan(
        groups=(
            UserGroup(
                requests=(Request(f"{server.base_url}/fast"), Request(f"{server.base_url}/status/503")),
                load=LoadModel(users=4, iterations=5),
            ),
        ),
        client=ClientOptions(timeout_s=5.0),
    )
    progress: list[Progress] = []
    out = tmp_path / "r.jtl"
    result = run_plan(plan, out, processes=2, on_progress=progress.append)
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == DEFAULT_COLUMNS
        rows = list(reader)
    assert len(rows) == 4 * 5 * 2 == result.rows_written == result.total.samples
    assert result.processes == 2 and not result.interrupted
    assert sorted({r["threadName"] for r in rows}) == [f"surge 1-{n}" for n in (1, 2, 3, 4)]
    by_label = {s.label: s for s in result.labels}
    assert by_label["GET /fast"].errors == 0
    assert by_label["GET /status/503"].errors == 20
    assert result.total.error_pct == 50.0
    assert result.top_errors == (("503 Service Unavailable", 20),)
    # allThreads counts the users of both processes.
    assert max(int(r["allThreads"]) for r in rows) >= 3
    assert all(1 <= int(r["allThreads"]) <= 4 for r in rows)
    assert sum(p.samples for p in progress) == 40
    assert progress[-1].total_samples == 40 and progress[-1].planned_samples == 40
    assert not list(tmp_path.glob("*.part*"))
