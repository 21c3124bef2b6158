"""Launcher and ps pieces that need no server: failure lines, log scanning, the ps table, no patching."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from surge.serve.launch import RunningServer, last_error_line
from surge.serve.options import ServeOptions, plan_serve
from surge.serve.runfiles import ServerState, boot_error_path
from surge.serve.status import ProcessInfo, ServerStatus, format_bytes, format_tree


class _FakeProcess:
    pid = 4242


def _server(tmp_path: Path, **kwargs: Any) -> RunningServer:
    plan = plan_serve(ServeOptions(app="surge.demo:app", **kwargs), cwd=tmp_path)
    return RunningServer(plan, _FakeProcess())  # type: ignore[arg-type]


def test_last_error_line_finds_the_exception(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_text(
        "[INFO] Booting worker\nTraceback (most recent call last):\n  File 'x'\n"
        "ConnectionRefusedError: [Errno 111] refused\n[INFO] Worker exiting\n"
    )
    assert last_error_line([tmp_path / "missing.log", log]) == "ConnectionRefusedError: [Errno 111] refused"
    assert last_error_line([tmp_path / "missing.log"]) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (3, "a worker failed to boot"),
        (4, "the app failed to load"),
        (0, "stopped before it was ready"),
        (-9, "killed by signal SIGKILL"),
        (1, "exited with code 1"),
    ],
)
def test_exit_codes_become_one_line(tmp_path: Path, code: int, expected: str) -> None:
    message = str(_server(tmp_path).failure(code))
    assert expected in message and "\n" not in message


def test_boot_error_file_is_quoted(tmp_path: Path) -> None:
    server = _server(tmp_path, log_dir=Path("logs"))
    boot_error_path(server.plan.pidfile).parent.mkdir(parents=True)
    boot_error_path(server.plan.pidfile).write_text("importing 'x' failed: KeyError: 'DB_URL'\n")
    message = str(server.failure(4))
    assert "KeyError: 'DB_URL'" in message and str(tmp_path / "logs" / "error.log") in message


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = ServerState(
        app="a:b", mode="gevent", url="http://127.0.0.1:1", host="127.0.0.1", port=1, workers=2,
        graceful_timeout_s=3.0, pidfile="p", directory="/", preload=False, settings={"workers": 2},
    )  # fmt: skip
    state.write(tmp_path / "s.json")
    assert ServerState.read(tmp_path / "s.json") == state


def test_ps_table() -> None:
    status = ServerStatus(
        master=ProcessInfo(100, "master", 65.0, 0.5, 30 * 1024 * 1024),
        workers=(
            ProcessInfo(101, "worker", 60.0, 12.25, 40 * 1024 * 1024),
            ProcessInfo(102, "worker", 2, 0, 512),
        ),
        state=None,
        pidfile=Path("serve.pid"),
    )
    lines = format_tree(status).splitlines()
    assert lines[0].split() == ["PID", "ROLE", "AGE", "CPU%", "MEM"]
    assert lines[1].split() == ["100", "master", "1m05s", "0.5", "30.0MB"]
    assert lines[2].split() == ["├─", "101", "worker", "1m00s", "12.2", "40.0MB"]
    assert lines[3].split() == ["└─", "102", "worker", "2s", "0.0", "512B"]
    assert format_bytes(3 * 1024**3) == "3.0GB"


def test_surge_patches_nothing_when_imported() -> None:
    # gevent's worker must be the first to patch; importing every serve module must not.
    code = (
        "import surge.cli, surge.serve.launch, surge.serve.master, surge.serve.application, surge.demo\n"
        "surge.cli.build_parser()\n"
        "from gevent import monkey\n"
        "print(monkey.is_anything_patched())"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_serve_commands_do_not_import_psutil_until_they_run() -> None:
    # Every surge command builds the whole parser, so these modules' imports are paid by all of them.
    code = (
        "import sys, surge.cli.serve, surge.cli.ps, surge.cli.scale, surge.cli.reload, surge.cli.stop,"
        " surge.cli.demo, surge.serve.master\n"
        "print('psutil' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("mode", "count", "header"),
    [
        ("sync", 1, "(--mode sync, 1 worker)"),
        ("gevent", 3, "(--mode gevent, 3 workers)"),
        ("flask-processes", 2, "(--mode flask-processes, 2 request processes)"),
    ],
)
def test_ps_header_names_the_app_and_counts(mode: str, count: int, header: str) -> None:
    state = ServerState(
        app="surge.demo:app", mode=mode, url="http://127.0.0.1:8000", host="127.0.0.1", port=8000,
        workers=count, graceful_timeout_s=30.0, pidfile="p", directory="/", preload=False,
    )  # fmt: skip
    workers = tuple(ProcessInfo(200 + i, "worker", 1.0, 0.0, 1024) for i in range(count))
    status = ServerStatus(ProcessInfo(100, "master", 1.0, 0.0, 1024), workers, state, Path("p"))
    assert format_tree(status).splitlines()[0] == f"surge.demo:app at http://127.0.0.1:8000 {header}"
