"""A served demo app survives a killed worker, scales, reloads and stops cleanly (real gunicorn)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from serve_harness import Harness, alive, http, port_is_free, wait_for

pytestmark = pytest.mark.timeout(180)


def test_kill_scale_reload_stop(harness: Harness) -> None:
    port = harness.serve(
        "surge.demo:app", "--workers", "2", "--graceful-timeout", "5s",
        "--log-dir", "logs", "--log-max-size", "2KB", "--log-backups", "3",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    master = harness.master_pid()
    first = harness.workers()
    assert len(first) == 2
    assert {w["pid"] for w in harness.ps()["workers"]} == first

    # SIGKILL one worker: gunicorn replaces it, and requests keep being answered meanwhile.
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    served = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert http(f"{url}/health")[0] == 200
        served += 1
        now = harness.workers()
        if victim not in now and len(now) == 2:
            break
        time.sleep(0.05)
    shown = {w["pid"] for w in harness.ps()["workers"]}
    assert victim not in shown and len(shown) == 2 and shown - first, shown
    assert served >= 1

    result = harness.surge("scale", "+2")
    assert result.returncode == 0, result.stderr
    assert "2 -> 4" in result.stdout
    wait_for(lambda: len(harness.workers()) == 4, 20, "4 workers")
    result = harness.surge("scale", "-1")
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(harness.workers()) == 3, 20, "3 workers")

    before = harness.workers()
    result = harness.surge("reload")
    assert result.returncode == 0, result.stderr
    wait_for(lambda: len(harness.workers()) == 3 and not (harness.workers() & before), 30, "3 new workers")
    assert harness.master_pid() == master  # HUP keeps the master
    assert http(f"{url}/")[0] == 200

    # The access log was written by several workers and rotated at 2KB.
    for _ in range(30):
        assert http(f"{url}/health")[0] == 200
    logs = harness.folder / "logs"
    assert (logs / "access.log.1").exists()
    assert "GET /health" in (logs / "access.log").read_text() + (logs / "access.log.1").read_text()
    assert "Booting worker" in (logs / "error.log").read_text()

    everyone = {master} | harness.workers() | first | before
    result = harness.surge("stop")
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout
    wait_for(lambda: not any(alive(pid) for pid in everyone), 10, "every server process to exit")
    assert port_is_free(port)
    assert not (harness.folder / "surge-run" / "serve.pid").exists()
    result = harness.surge("ps")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


def test_stop_kills_a_stuck_master_and_says_so(harness: Harness) -> None:
    port = harness.serve("surge.demo:app", "-w", "1", "--graceful-timeout", "1s")
    master = harness.master_pid()
    workers = harness.workers()
    os.kill(master, signal.SIGSTOP)  # a master that cannot act on TERM
    try:
        result = harness.surge("stop", "--timeout", "1s")
    finally:
        if alive(master):
            os.kill(master, signal.SIGCONT)
    assert result.returncode == 0, result.stderr
    assert "sent KILL" in result.stdout and str(master) in result.stdout
    wait_for(lambda: not any(alive(pid) for pid in {master, *workers}), 10, "every server process to exit")
    assert port_is_free(port)


def test_reload_serves_new_code(harness: Harness) -> None:
    module = harness.folder / "versioned_app.py"
    source = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"version": VERSION}']
"""
    module.write_text(source.replace("VERSION", "1"))
    port = harness.serve("versioned_app:app", "-w", "1")
    assert http(f"http://127.0.0.1:{port}/")[1] == {"version": 1}
    # A different length, so the cached bytecode is stale even if the mtime second is the same.
    module.write_text(source.replace("VERSION", "22"))
    result = harness.surge("reload")
    assert result.returncode == 0, result.stderr
    assert http(f"http://127.0.0.1:{port}/")[1] == {"version": 22}
    assert harness.surge("stop").returncode == 0
