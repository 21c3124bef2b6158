"""surge tune for real on the demo app: the output (table, recommendation line, JSON, gunicorn
config, HTML page), and what it must rediscover: /io wants gevent, /cpu a process-based mode with
as many workers as the server has cores. Each run is bounded by its --budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tune_harness import TuneHarness

pytestmark = pytest.mark.slow

CANDIDATE_KEYS = {"mode", "workers", "threads", "worker_connections", "max_rps", "p50_ms", "p99_ms",
                  "cpu_percent", "rss_mb", "status"}  # fmt: skip


def _document(tune: TuneHarness, name: str = "tune.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tune.folder / name).read_text())
    return data


def test_io_bound_endpoint_recommends_gevent_with_the_whole_output(tune: TuneHarness) -> None:
    result = tune.run(
        "tune", "surge.demo:app", "--path", "/io", "--workers", "1", "--threads", "16",
        "--worker-connections", "1000", "--dev-server", "--repeats", "1", "--budget", "50s",
        "--json", "tune.json", "--write-config", "-o", "page",
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "#  MODE" in out and "MAX REQ/S" in out and "STATUS" in out
    recommendation = [line for line in out.splitlines() if line.startswith("Recommendation: ")]
    assert len(recommendation) == 1
    document = _document(tune)
    chosen = document["recommendation"]
    assert chosen["mode"] == "gevent", out
    assert set(chosen) >= CANDIDATE_KEYS | {"command"}
    assert recommendation[0] == f"Recommendation: {chosen['command']}"
    assert (
        chosen["command"] == "surge serve surge.demo:app --mode gevent --workers 1 --worker-connections 1000"
    )
    assert chosen["max_rps"] > 0 and chosen["cpu_percent"] > 0 and chosen["rss_mb"] > 0
    assert chosen["p50_ms"] <= chosen["p99_ms"] < 500
    rows = document["candidates"]
    assert all(set(row) >= CANDIDATE_KEYS for row in rows)
    reference = [row for row in rows if row["reference"]]
    assert len(reference) == 1 and reference[0]["mode"] == "flask-threaded"
    for row in rows:
        if row["status"] == "ok":
            trials = [t for m in row["measurements"] for t in m["trials"]]
            assert any(t["outcome"] == "passed" and t["level"] == row["max_rps"] for t in trials)
    # The config runs the same deployment under plain gunicorn.
    config = (tune.folder / "gunicorn.conf.py").read_text()
    compile(config, "gunicorn.conf.py", "exec")
    assert "worker_class = 'gevent'" in config and "workers = 1\n" in config
    assert "worker_connections = 1000\n" in config
    page = tune.folder / "page"
    for asset in (
        "index.html",
        "content/js/plotly.min.js",
        "content/js/surge-tune.js",
        "content/css/surge.css",
    ):
        assert (page / asset).stat().st_size > 0
    assert chosen["command"] in (page / "index.html").read_text()
    assert tune.leftovers() == []


def test_cpu_bound_endpoint_recommends_processes_matching_the_servers_cores(tune: TuneHarness) -> None:
    result = tune.run(
        "tune", "surge.demo:app", "--path", "/cpu", "--workers", "1,2", "--threads", "4",
        "--worker-connections", "1000", "--repeats", "1", "--budget", "40s", "--json", "tune.json",
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    document = _document(tune)
    chosen = document["recommendation"]
    assert chosen["mode"] in ("sync", "gthread"), result.stdout
    assert chosen["workers"] == len(document["machine"]["server_cores"]), result.stdout
    assert tune.leftovers() == []
