"""``surge run`` as a subprocess: the JTL it writes, its output, bad input and interruption."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers.http_server import LocalHttpServer
from surge.results.columns import DEFAULT_HEADER

SURGE = [sys.executable, "-m", "surge", "run"]


def read_jtl(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        assert f.readline().rstrip("\n") == DEFAULT_HEADER
        f.seek(0)
        rows = list(csv.DictReader(f))
    for row in rows:
        assert None not in row and all(v is not None for v in row.values()), row  # 17 fields each
    return rows


def test_run_writes_one_row_per_sample(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "out" / "r.jtl"
    urls = [f"{server.base_url}/fast", f"{server.base_url}/status/500"]
    done = subprocess.run(
        [*SURGE, *urls, "-u", "2", "-n", "3", "-p", "2", "-o", str(out), "--quiet"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    rows = read_jtl(out)
    assert len(rows) == 2 * 3 * 2
    assert sorted({r["threadName"] for r in rows}) == ["surge 1-1", "surge 1-2"]
    fast = [r for r in rows if r["label"] == "GET /fast"]
    failed = [r for r in rows if r["label"] == "GET /status/500"]
    assert len(fast) == len(failed) == 6
    assert {(r["responseCode"], r["responseMessage"], r["success"]) for r in fast} == {("200", "OK", "true")}
    assert {(r["responseCode"], r["responseMessage"], r["success"]) for r in failed} == {
        ("500", "Internal Server Error", "false")
    }
    now_ms = time.time() * 1000
    assert all(now_ms - 60_000 < int(r["timeStamp"]) <= now_ms for r in rows)
    assert not list(out.parent.glob("*.part*"))


def test_summary_and_custom_labels(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = subprocess.run(
        [*SURGE, f"{server.base_url}/fast", "-n", "5", "-p", "1", "-o", str(out), "--label", "home, page",
         "-H", "X-Test: 1", "--think-time", "10ms-20ms"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "TOTAL" in done.stdout and "home, page" in done.stdout
    assert f"Results: {out} (5 samples)" in done.stdout
    rows = read_jtl(out)
    assert [r["label"] for r in rows] == ["home, page"] * 5
    assert '"home, page"' in out.read_text()  # quoted as JMeter does, since it holds the delimiter


@pytest.mark.parametrize(
    "args",
    [
        ["http://127.0.0.1/", "--quiet", "--quiet-please"],
        ["ftp://127.0.0.1/"],
        ["http://127.0.0.1/", "-u", "-1"],
        ["http://127.0.0.1/", "-u", "many"],
        ["http://127.0.0.1/", "-d", "soon"],
        ["http://127.0.0.1/", "--think-time", "500ms-100ms"],
        ["http://127.0.0.1/", "--body-file", "/nonexistent/body.json"],
        ["http://127.0.0.1/", "-H", "no colon"],
        ["http://127.0.0.1/", "--ok-status", "2xx"],
        ["http://127.0.0.1/", "-p", "0"],
        ["http://127.0.0.1/", "--timeout", "0"],
        ["http://127.0.0.1/", "-n", "1", "-o", "/"],  # a directory
        ["http://127.0.0.1/", "-n", "1", "-o", "/proc/forbidden/r.jtl"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = subprocess.run(
        [*SURGE, "-o", str(tmp_path / "r.jtl"), *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_a_valid_complete_file(tmp_path: Path, server: LocalHttpServer, signum: int) -> None:
    out = tmp_path / "r.jtl"
    proc = subprocess.Popen(
        [*SURGE, f"{server.base_url}/slow?ms=20", "-u", "4", "-d", "60s", "-p", "2", "-o", str(out), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        # Wait until both workers have flushed rows (they flush every second) to their part files,
        # in the run's private folder beside the results file.
        while time.monotonic() < deadline:
            parts = list(tmp_path.glob(".r.jtl.*.parts/part*.jtl"))
            if len(parts) == 2 and all(p.read_text().count("\n") > 1 for p in parts):
                break
            time.sleep(0.1)
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C reaches the whole foreground group
        else:
            os.kill(proc.pid, signum)  # kill PID: only the runner
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    rows = read_jtl(out)
    assert len(rows) >= 2
    # Requests still waiting at the interruption (at most one per user) are failed samples.
    waiting = [r for r in rows if r["success"] == "false"]
    assert 1 <= len(waiting) <= 4
    for row in waiting:
        assert row["responseCode"] == "Non HTTP response code: RunEnded"
        assert "interrupted" in row["responseMessage"]
    assert list(tmp_path.iterdir()) == [out]  # no part file or folder left behind
