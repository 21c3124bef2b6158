"""``surge run`` against faulty servers and machines: nothing lost, and never a verdict greener than the data.

Each test is a case that main got wrong before: requests still waiting at the end vanished, an
interrupted run said "passed", an unreachable target spun a core and exited 0, ``-o`` overwrote
files, a full disk printed tracebacks, a killed worker went unmentioned until the end.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.http_server import LocalHttpServer
from surge.results.columns import DEFAULT_HEADER

SURGE = [sys.executable, "-m", "surge", "run"]
RUN_ENDED = "Non HTTP response code: RunEnded"


def surge(*args: str, timeout_s: float = 90, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *args], capture_output=True, text=True, timeout=timeout_s, **kwargs)  # type: ignore[call-overload, no-any-return]


def rows_of(path: Path) -> list[list[str]]:
    """The data rows of a results file, each checked to have the 17 columns (or 18, open model)."""
    import csv

    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:17] == DEFAULT_HEADER.split(",")
    assert all(len(r) == len(rows[0]) for r in rows), "a torn or malformed row"
    return rows[1:]


@pytest.fixture()
def fresh_server() -> Iterator[LocalHttpServer]:
    """A server of the test's own: /hang counts requests from its start."""
    with LocalHttpServer() as running:
        yield running


# -- 1. requests still waiting when the run ends ---------------------------------------------------


def test_server_hanging_one_request_in_50_fails_p99(tmp_path: Path, fresh_server: LocalHttpServer) -> None:
    out, summary = tmp_path / "r.jtl", tmp_path / "summary.json"
    done = surge(
        f"{fresh_server.base_url}/hang?every=50", "-u", "20", "-d", "3s", "--graceful-stop", "500ms",
        "-o", str(out), "--threshold", "p99<1s", "--summary-json", str(summary),
    )  # fmt: skip
    # Every 50th request never gets an answer: after 1,000 requests all 20 users wait, silently.
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Threshold FAILED: p99<1s" in done.stdout
    assert "20 requests were still waiting when the run ended (500ms after its planned end)" in done.stdout
    assert "still waiting at the end 20" in done.stderr or "20 still waiting at the end" in done.stderr
    rows = rows_of(out)
    waiting = [r for r in rows if r[3] == RUN_ENDED]
    assert len(waiting) == 20 and len(rows) == 1000
    for row in waiting:
        assert (
            row[4]
            == "Non HTTP response message: The run ended while the request was waiting for its response"
        )
        assert row[7] == "false"
        assert int(row[1]) >= 500  # elapsed: the time waited, at least the graceful stop
    document = json.loads(summary.read_text())
    assert document["waiting_at_end"] == 20
    assert document["total"]["errors"] == 20 and document["verdict"] == "thresholds_failed"


def test_trickling_response_is_recorded_when_the_run_ends(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    # One byte every 100 ms: the read timeout (no byte for 30 s) never fires.
    done = surge(
        f"{server.base_url}/drip?ms=100", "-u", "3", "-d", "1s", "--graceful-stop", "1s", "-o", str(out)
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("No response: no request got a complete response from 127.0.0.1:")
    assert "Verdict: NO RESPONSE" in done.stdout
    rows = rows_of(out)
    assert len(rows) == 3 and all(r[3] == RUN_ENDED for r in rows)
    assert all(int(r[9]) > 40 for r in rows)  # bytes: the head and the bytes trickled so far
    assert all(int(r[1]) >= 1900 for r in rows)


def test_hung_server_under_the_default_timeout_fails(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge(
        f"{server.base_url}/never", "-u", "2", "-d", "1s", "--graceful-stop", "0s", "-o", str(out),
        "--threshold", "p99<1s", "--threshold", "error_rate<1%",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # no response at all outranks thresholds
    assert "Threshold FAILED: error_rate<1%" in done.stdout
    assert "2 requests were still waiting" in done.stdout
    assert [r[3] for r in rows_of(out)] == [RUN_ENDED, RUN_ENDED]


def test_open_model_records_what_is_still_waiting(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge(
        f"{server.base_url}/never", "--rate", "20", "-d", "1s", "--graceful-stop", "200ms", "-p", "1",
        "-o", str(out), "--summary-json", str(tmp_path / "s.json"),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    rows = rows_of(out)
    assert len(rows) == 20 and all(r[3] == RUN_ENDED for r in rows)
    assert json.loads((tmp_path / "s.json").read_text())["waiting_at_end"] == 20


def test_scripted_users_record_what_is_still_waiting(tmp_path: Path, server: LocalHttpServer) -> None:
    script = tmp_path / "users.py"
    script.write_text(
        "async def user(session):\n"
        "    await session.get('/fast', label='fast')\n"
        "    await session.get('/never', label='never')\n"
    )
    out = tmp_path / "r.jtl"
    done = surge(
        server.base_url, "-s", str(script), "-u", "2", "-d", "1s", "--graceful-stop", "0s", "-o", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = rows_of(out)
    assert sorted((r[2], r[3]) for r in rows) == [
        ("fast", "200"),
        ("fast", "200"),
        ("never", RUN_ENDED),
        ("never", RUN_ENDED),
    ]
    assert "2 requests were still waiting" in done.stdout


# -- 2. interrupted runs are never green ------------------------------------------------------------


def test_interrupted_run_is_interrupted_everywhere(tmp_path: Path, server: LocalHttpServer) -> None:
    out, junit, summary = tmp_path / "r.jtl", tmp_path / "junit.xml", tmp_path / "summary.json"
    proc = subprocess.Popen(
        [*SURGE, f"{server.base_url}/slow?ms=20", "-u", "4", "-d", "90s", "-p", "1", "-o", str(out),
         "--threshold", "p99<1s", "--junit", str(junit), "--summary-json", str(summary)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the first live line: the run is under way
        assert "users" in line, line
        os.killpg(proc.pid, signal.SIGINT)
        stdout, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert "Verdict: INTERRUPTED: the run was interrupted after " in stdout
    assert "of 1m30s (exit code 130)" in stdout
    assert "passed (exit code 0)" not in stdout
    document = json.loads(summary.read_text())
    assert document["verdict"] == "interrupted" and document["exit_code"] == 130
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failing = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["run completed"]
    failure = failing[0].find("failure")
    assert failure is not None and failure.get("type") == "Interrupted"


# -- 3. unreachable target --------------------------------------------------------------------------


def test_refused_target_names_the_cause_exits_1_and_does_not_spin(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "r.jtl"
    done = surge(
        f"http://127.0.0.1:{port}/", "-u", "4", "-d", "2s", "-p", "1", "-o", str(out), "--threshold", "p99<1s"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"No response: every connection to 127.0.0.1:{port} was refused")
    assert "Invalid run" not in done.stdout and "load generator" not in done.stdout
    rows = rows_of(out)
    # Each user waits before reconnecting (10 ms, doubling up to 1 s): about 8 attempts each in
    # 2 s, where a busy loop made tens of thousands.
    assert 4 <= len(rows) <= 60
    assert all(r[3] == "Non HTTP response code: ConnectionRefusedError" for r in rows)


def test_refused_target_without_thresholds_still_exits_1(tmp_path: Path) -> None:
    done = surge("http://127.0.0.1:9/", "-d", "1s", "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 1
    assert done.stdout.startswith("No response: every connection to 127.0.0.1:9 was refused")


# -- 5. the results file -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["results.jtl", "notes.txt"])
def test_existing_results_file_is_refused_without_force(
    tmp_path: Path, server: LocalHttpServer, name: str
) -> None:
    target = tmp_path / name
    target.write_text("precious\n")
    done = surge(f"{server.base_url}/fast", "-n", "2", "-o", str(target))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--force" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "precious\n"
    forced = surge(f"{server.base_url}/fast", "-n", "2", "-o", str(target), "--force", "-q")
    assert forced.returncode == 0, forced.stderr
    assert len(rows_of(target)) == 2


def test_part_files_never_touch_the_users_files(tmp_path: Path, server: LocalHttpServer) -> None:
    mine = {name: f"mine {name}\n" for name in ("r.jtl.part1", "r.jtl.part2", "other.jtl.part1")}
    for name, text in mine.items():
        (tmp_path / name).write_text(text)
    done = surge(
        f"{server.base_url}/fast", "-u", "2", "-n", "5", "-p", "2", "-o", str(tmp_path / "r.jtl"), "-q"
    )
    assert done.returncode == 0, done.stderr
    assert len(rows_of(tmp_path / "r.jtl")) == 10
    assert {p.name: p.read_text() for p in tmp_path.iterdir() if p.name != "r.jtl"} == mine


# -- 6. disk full ------------------------------------------------------------------------------------


def _file_size_limit(limit_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


@pytest.mark.parametrize("processes", ["1", "2"])
def test_file_size_limit_stops_the_run_with_one_line(
    tmp_path: Path, server: LocalHttpServer, processes: str
) -> None:
    out = tmp_path / "r.jtl"
    done = surge(
        f"{server.base_url}/fast", "-u", "4", "-d", "20s", "-p", processes, "-o", str(out), "-q",
        preexec_fn=lambda: _file_size_limit(200_000),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "could not write the results (File too large): stopping the run" in done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("surge run: error: could not write the results")
    if processes == "1":  # one part: renamed into place, whole rows only
        assert "samples are in" in error and len(rows_of(out)) > 100
    else:  # two parts do not fit in one file under the limit: the message names them
        parts = [Path(p) for p in error.split("the samples are in ")[1].split(", ")]
        assert len(parts) == 2 and all(len(rows_of(p)) > 100 for p in parts)
        assert not out.exists()


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, where this machine lets us mount one (as root in CI); skipped elsewhere."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_full_disk_stops_the_run_and_keeps_a_valid_file(tiny_disk: Path, server: LocalHttpServer) -> None:
    out = tiny_disk / "r.jtl"
    done = surge(f"{server.base_url}/fast", "-u", "4", "-d", "20s", "-p", "1", "-o", str(out), "-q")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr
    assert len(rows_of(out)) > 100


# -- 7. a worker killed -----------------------------------------------------------------------------


def test_killed_worker_is_reported_at_once(tmp_path: Path, server: LocalHttpServer) -> None:
    proc = subprocess.Popen(
        [*SURGE, f"{server.base_url}/fast", "-u", "4", "-d", "30s", "-p", "2", "-o", str(tmp_path / "r.jtl")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        assert "users" in proc.stderr.readline()  # under way
        import psutil

        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        workers[1].kill()
        killed_at = time.monotonic()
        for line in proc.stderr:
            if "was killed by SIGKILL" in line:
                break
        # Said while the run goes on (it has 25 s left), not at its end.
        assert proc.poll() is None and time.monotonic() - killed_at < 10
        assert "missing from the results" in line and "1 of 2 processes go on" in line
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- 8. no all-zero last line -----------------------------------------------------------------------


def test_no_all_zero_progress_line_at_the_end(tmp_path: Path, server: LocalHttpServer) -> None:
    # One user thinking past the end: nothing completes in the run's last, partial second, which
    # is then not shown (it was an all-zero line).
    done = surge(
        f"{server.base_url}/fast",
        "-d",
        "2s",
        "--think-time",
        "300ms",
        "-o",
        str(tmp_path / "r.jtl"),
        "-p",
        "1",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, lines
    for line in lines:
        assert not (re.search(r"(req/s|samples) 0 ", line) and re.search(r"errors 0 ", line)), lines
