"""Failures exit non-zero with one line and leave no server behind; Ctrl-C stops a foreground server."""

from __future__ import annotations

import signal
import socket
import subprocess

import pytest
from serve_harness import Harness, alive, free_port, port_is_free, wait_for

from surge.cli import main

pytestmark = pytest.mark.timeout(120)

BOOT_FAIL_APP = """
import os
# Imports fine in `surge serve` (the check), fails in gunicorn's worker: a worker that cannot boot.
if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
    raise ConnectionRefusedError("database at db:5432 refused the connection")

def app(environ, start_response):
    start_response("200 OK", [])
    return [b"ok"]
"""


def _one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("no_such_module_anywhere:app", "cannot import 'no_such_module_anywhere'"),
        ("surge.demo:missing", "Failed to find attribute 'missing'"),
    ],
)
def test_bad_app_is_one_line(harness: Harness, app: str, message: str) -> None:
    result = harness.surge("serve", app, "--bind", f"127.0.0.1:{free_port()}", "--daemon")
    assert message in _one_line_failure(result)
    assert not (harness.folder / "surge-run" / "serve.pid").exists()


def test_port_in_use_is_one_line(harness: Harness) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = harness.surge("serve", "surge.demo:app", "--bind", f"127.0.0.1:{port}", "--daemon")
    assert "already in use" in _one_line_failure(result)


def test_worker_that_cannot_boot_stops_the_master(harness: Harness) -> None:
    (harness.folder / "bootfail_app.py").write_text(BOOT_FAIL_APP)
    port = free_port()
    result = harness.surge("serve", "bootfail_app:app", "-w", "2", "--bind", f"127.0.0.1:{port}", "--daemon")
    line = _one_line_failure(result)
    assert "database at db:5432 refused the connection" in line
    # No hanging master: every process started from this folder is gone and the port is free.
    wait_for(lambda: not any(alive(pid) for pid in harness.pids), 10, "the failed server to exit")
    assert port_is_free(port)


def test_control_commands_without_a_server(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process: these commands start nothing, so the CLI's start-up time need not be paid four times.
    monkeypatch.chdir(harness.folder)
    for command in (["ps"], ["stop"], ["reload"], ["scale", "+1"]):
        code = main(command)
        captured = capsys.readouterr()
        result = subprocess.CompletedProcess(command, code, captured.out, captured.err)
        assert "no server running" in _one_line_failure(result)


def test_foreground_server_stops_on_ctrl_c(harness: Harness) -> None:
    port = free_port()
    process = harness.start(
        "surge", "serve", "surge.demo:app", "-w", "1", "--bind", f"127.0.0.1:{port}",
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if "ready" in line:
            break
    master = harness.master_pid()
    # Only surge gets the signal here (a terminal would signal both): it must pass it on.
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "stopped" in out
    assert not alive(master)
    assert port_is_free(port)
