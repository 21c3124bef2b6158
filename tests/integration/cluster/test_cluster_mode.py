"""``surge run --cluster``: the same run over a real Dask LocalCluster (worker processes) on 127.0.0.1.

Each case is a ``surge run`` subprocess against a cluster: ``local:N`` (surge starts it) or the
scheduler address of a LocalCluster this test started, when the test needs to reach into it
(kill a worker, make a worker report another version).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from servers.http_server import LocalHttpServer

SURGE = [sys.executable, "-m", "surge", "run"]


def surge(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *args], capture_output=True, text=True, timeout=timeout_s)


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(None not in r for r in rows), "a row with too many fields"
    return rows


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Any]:
    """A LocalCluster of 2 single-threaded worker processes, closed after the test."""
    from distributed import LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield local
    finally:
        local.close()


def test_every_sample_exactly_once_as_with_local_processes(tmp_path: Path, server: LocalHttpServer) -> None:
    urls = [f"{server.base_url}/fast", f"{server.base_url}/bytes/100"]
    local = surge(*urls, "-u", "4", "-n", "25", "-p", "2", "-o", str(tmp_path / "local.jtl"), "-q")
    spread = surge(
        *urls, "-u", "4", "-n", "25", "--cluster", "local:2", "-o", str(tmp_path / "cluster.jtl"),
        "--summary-json", str(tmp_path / "s.json"),
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    assert spread.returncode == 0, spread.stdout + spread.stderr
    local_rows, cluster_rows = rows_of(tmp_path / "local.jtl"), rows_of(tmp_path / "cluster.jtl")
    assert len(cluster_rows) == len(local_rows) == 4 * 25 * 2
    # Users 1-4 over both workers, each user's 50 samples once; threadName carries the worker.
    per_user = Counter(r["threadName"].rsplit(" ", 1)[1] for r in cluster_rows)
    assert per_user == {"1-1": 50, "1-2": 50, "1-3": 50, "1-4": 50}
    prefixes = {r["threadName"].rsplit(" ", 1)[0] for r in cluster_rows}
    assert len(prefixes) == 2 and all(p.startswith("127.0.0.1:") and p.endswith("-surge") for p in prefixes)
    assert json.loads((tmp_path / "s.json").read_text())["total"]["samples"] == 200
    assert "Traceback" not in spread.stderr


def test_open_model_sends_every_arrival_once(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge(
        f"{server.base_url}/fast", "--rate", "100", "-d", "2s", "--cluster", "local:2", "-o", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = rows_of(out)
    assert len(rows) == 200
    stamps = sorted(int(r["timeStamp"]) for r in rows)
    # Intended times 10 ms apart on one clock, whichever worker sent them.
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) <= 15, max(gaps)
    assert "Arrivals: 200, late" in done.stdout


def test_unique_feeder_rows_are_never_used_twice(tmp_path: Path, server: LocalHttpServer) -> None:
    (tmp_path / "people.csv").write_text("name\n" + "".join(f"user{i}\n" for i in range(12)))
    plan = tmp_path / "plan.toml"
    plan.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"
            duration = "20s"

            [feeders.people]
            file = "people.csv"
            mode = "unique"
            on_exhausted = "stop"

            [requests.hello]
            label = "hello ${{name}}"
            url = "/fast?who=${{name}}"

            [[groups]]
            users = 4
            journey = ["hello"]
            feeder = "people"
            """
        )
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", str(plan), "--cluster", "local:2", "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    labels = Counter(r["label"] for r in rows_of(out))
    assert labels == {f"hello user{i}": 1 for i in range(12)}


def test_python_users_are_shipped_to_the_workers(tmp_path: Path, server: LocalHttpServer) -> None:
    """A module the workers cannot read (its path does not exist there) runs from its shipped source."""
    from surge.cluster.runner import run_cluster_plan
    from surge.plan import LoadModel, Plan, UserGroup
    from surge.scenario.script import ScriptBehaviour

    source = "async def user(session):\n    await session.get('/fast', label='shipped')\n"
    behaviour = ScriptBehaviour("/nowhere/on/the/workers/users.py", base_url=server.base_url, source=source)
    plan = Plan(groups=(UserGroup(requests=(), load=LoadModel(users=2, iterations=5), behaviour=behaviour),))
    result = run_cluster_plan(plan, tmp_path / "r.jtl", "local:2")
    assert result.total.samples == 10 and result.total.errors == 0
    assert {r["label"] for r in rows_of(tmp_path / "r.jtl")} == {"shipped"}


def test_abort_on_fail_stops_every_worker(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge(
        f"{server.base_url}/status/500", "-u", "2", "-d", "60s", "--think-time", "10ms",
        "--cluster", "local:2", "--threshold", "errors<20", "--abort-on-fail", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Aborted: threshold errors<20 failed" in done.stdout
    assert 20 <= len(rows_of(out)) < 2000  # stopped within seconds, not after 60 s


def test_ctrl_c_stops_every_worker_and_keeps_what_was_delivered(
    tmp_path: Path, server: LocalHttpServer
) -> None:
    out = tmp_path / "r.jtl"
    proc = subprocess.Popen(
        [*SURGE, f"{server.base_url}/slow?ms=10", "-u", "4", "-d", "60s", "--cluster", "local:2",
         "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "users" in line, line + proc.stderr.read()
        family = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        assert len(family) >= 2  # the local cluster's processes
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Verdict: INTERRUPTED" in stdout
    rows = rows_of(out)
    assert len(rows) >= 50
    deadline = time.monotonic() + 20
    while any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in family
    ):
        assert time.monotonic() < deadline, "cluster processes left behind"
        time.sleep(0.2)


def test_a_lost_worker_is_reported_and_the_run_goes_on(
    tmp_path: Path, server: LocalHttpServer, cluster: Any
) -> None:
    from distributed import Client

    with Client(cluster) as client:
        worker_pids = client.run(os.getpid)
    out = tmp_path / "r.jtl"
    proc = subprocess.Popen(
        [*SURGE, f"{server.base_url}/fast", "-u", "4", "-d", "6s", "--think-time", "1ms",
         "--cluster", cluster.scheduler_address, "-o", str(out), "--summary-json", str(tmp_path / "s.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        assert "users" in proc.stderr.readline()
        victim_address = sorted(worker_pids)[1]
        os.kill(worker_pids[victim_address], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"cluster worker 2 ({victim_address}) left the cluster after" in stderr
    assert "Lost: cluster worker 2" in stdout and "Invalid run:" in stdout
    assert proc.returncode == 4, stdout + stderr  # judged (--summary-json): the load fell short
    document = json.loads((tmp_path / "s.json").read_text())
    (lost,) = document["lost_workers"]
    delivered = sum(
        1 for r in rows_of(out) if r["threadName"].startswith(victim_address.removeprefix("tcp://"))
    )
    assert lost["delivered"] == delivered > 0
    assert len(rows_of(out)) > delivered  # the other worker went on


def test_unreachable_scheduler_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = surge("http://127.0.0.1:9/", "--cluster", f"tcp://127.0.0.1:{port}", "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"surge run: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"
    )
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "r.jtl").exists()  # nothing started


def test_other_surge_version_on_a_worker_is_named(tmp_path: Path) -> None:
    from distributed import LocalCluster

    preload = tmp_path / "other_version.py"
    preload.write_text("import surge\nsurge.__version__ = '0.0.1-old'\n")
    local = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, preload=[str(preload)]
    )
    try:
        done = surge(
            "http://127.0.0.1:9/", "--cluster", local.scheduler_address, "-o", str(tmp_path / "r.jtl")
        )
    finally:
        local.close()
    assert done.returncode == 1
    assert "version mismatch" in done.stderr and "surge 0.0.1-old" in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["local:0", "local:x", "udp://h:1"])
def test_bad_cluster_value_is_exit_2(tmp_path: Path, value: str) -> None:
    done = surge("http://127.0.0.1:9/", "--cluster", value, "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_a_worker_clock_ten_minutes_ahead_is_corrected(tmp_path: Path, server: LocalHttpServer) -> None:
    """Rows are timed on this machine's clock, whatever the workers' clocks say."""
    from distributed import LocalCluster

    preload = tmp_path / "clock_ahead.py"  # this worker's epoch clock runs 10 minutes ahead
    preload.write_text(
        "import time\n"
        "if not hasattr(time, 'real_time_ns'):  # the preload may run twice in one process\n"
        "    time.real_time_ns = time.time_ns\n"
        "    time.time_ns = lambda: time.real_time_ns() + 600_000_000_000\n"
    )
    local = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, preload=[str(preload)]
    )
    try:
        before_ms = time.time_ns() // 1_000_000
        out = tmp_path / "r.jtl"
        done = surge(
            f"{server.base_url}/fast", "-n", "20", "--cluster", local.scheduler_address, "-o", str(out)
        )
        after_ms = time.time_ns() // 1_000_000
    finally:
        local.close()
    assert done.returncode == 0, done.stdout + done.stderr
    stamps = [int(r["timeStamp"]) for r in rows_of(out)]
    assert len(stamps) == 20
    assert all(before_ms <= t <= after_ms for t in stamps), (before_ms, stamps[:3], after_ms)
