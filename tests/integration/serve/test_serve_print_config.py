"""--print-config output runs under plain gunicorn: same server, rotating logs, same process control."""

from __future__ import annotations

import subprocess

import pytest
from serve_harness import Harness, alive, free_port, http, port_is_free, wait_for

pytestmark = pytest.mark.timeout(120)

REQUESTS = 40


def test_config_runs_under_plain_gunicorn(harness: Harness) -> None:
    port = free_port()
    result = harness.surge(
        "serve", "surge.demo:app", "--mode", "gevent", "--preload", "-w", "2",
        "--bind", f"127.0.0.1:{port}", "--log-dir", "logs", "--log-max-size", "2KB", "--log-backups", "5",
        "--pidfile", "run/gunicorn.pid", "--print-config",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config = harness.folder / "gunicorn.conf.py"
    config.write_text(result.stdout)

    gunicorn = harness.start(
        "gunicorn", "-c", str(config), "surge.demo:app", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    pidfile = harness.folder / "run" / "gunicorn.pid"
    wait_for(lambda: pidfile.exists() and not port_is_free(port), 30, "gunicorn to listen")
    # A trusted proxy (127.0.0.1 by default) says who the client is.
    for _ in range(REQUESTS):
        status, _body = http(f"http://127.0.0.1:{port}/health", headers={"X-Forwarded-For": "203.0.113.7"})
        assert status == 200

    # surge's process control works on plain gunicorn through the pidfile.
    shown = harness.ps("--pidfile", str(pidfile))
    assert shown["master"]["pid"] == gunicorn.pid and len(shown["workers"]) == 2
    result = harness.surge("stop", "--pidfile", str(pidfile))
    assert result.returncode == 0, result.stderr
    assert gunicorn.wait(timeout=30) == 0
    assert not alive(gunicorn.pid) and port_is_free(port)

    logs = harness.folder / "logs"
    access_files = sorted(logs.glob("access.log*"))
    access_files = [f for f in access_files if not f.name.endswith(".lock")]
    assert len(access_files) > 1  # rotated at 2KB
    lines = [line for f in access_files for line in f.read_text().splitlines()]
    health = [line for line in lines if "GET /health" in line]
    assert len(health) == REQUESTS  # two workers wrote and rotated one log without losing a line
    assert all(line.startswith("203.0.113.7 ") for line in health)
    assert "Using worker: gevent" in (logs / "error.log").read_text()
