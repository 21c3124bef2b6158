"""``surge run --monitor``: a real ``surge serve`` under load, its metrics file, the Server page, faults."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

import pytest
from serve_harness import Harness

from chromium import NEEDS_CHROMIUM, launched_chromium
from surge.monitor.record import COLUMNS


def metrics(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == list(COLUMNS)
    return rows


def test_monitored_run_records_master_and_workers_and_reports_them(harness: Harness) -> None:
    port = harness.serve("surge.demo:app", "--mode", "sync", "-w", "2")
    master, workers = harness.master_pid(), harness.workers()
    assert len(workers) == 2
    done = harness.surge(
        "run", f"http://127.0.0.1:{port}/cpu", f"http://127.0.0.1:{port}/io", "-u", "4", "-d", "4s",
        "--monitor", "surge-run/serve.pid", "-o", "r.jtl", "--report", "report",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = metrics(harness.folder / "r.metrics.csv")
    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    pids = {int(r["pid"]) for r in by_kind["process"]}
    assert {master, *workers} <= pids
    # Under a CPU-bound endpoint the workers work: CPU > 0 in some second for each of them.
    for worker in workers:
        assert max(float(r["cpu_percent"]) for r in by_kind["process"] if int(r["pid"]) == worker) > 0
    assert all(int(r["rss_bytes"]) > 1_000_000 and int(r["threads"]) >= 1 for r in by_kind["process"])
    assert max(float(r["cpu_percent"]) for r in by_kind["server"]) > 0
    assert by_kind["machine"] and by_kind["generator"]
    assert max(float(r["cpu_percent"]) for r in by_kind["generator"]) > 0
    assert "Server: peak CPU" in done.stdout
    # The report, built at the end of the run, has the Server page and the peaks in its info table.
    index = (harness.folder / "report" / "index.html").read_text()
    assert "Server (monitored)" in index and "Load generator" in index and "Server.html" in index
    server_page = (harness.folder / "report" / "content" / "pages" / "Server.html").read_text()
    assert "serverCpuOverTime" in server_page and f"pid {master} (master)" in server_page


def test_live_view_shows_labels_and_thresholds(harness: Harness) -> None:
    port = harness.serve("surge.demo:app", "--mode", "gthread", "-w", "1")
    done = harness.surge(
        "run", f"http://127.0.0.1:{port}/io", f"http://127.0.0.1:{port}/cpu", "-u", "2", "-d", "3s",
        "--threshold", "p95<10s", "--threshold", "GET /io:errors<1", "-o", "r.jtl",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("  GET /io ") and "req/s" in line and "p95" in line for line in lines)
    assert any(line.startswith("  GET /cpu") for line in lines)
    assert any(
        line == "  threshold p95<10s: passing so far"
        or line.startswith("  threshold p95<10s: passing so far (")
        for line in lines
    )
    assert any(line.startswith("  threshold GET /io:errors<1: passing so far") for line in lines)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nowhere/serve.pid", "no such pidfile"),
        ("garbage.pid", "not a pidfile written by surge serve"),
        ("4194303", "no process with this pid"),
    ],
)
def test_bad_monitor_target_is_one_line_exit_2_before_any_load(
    harness: Harness, target: str, expected: str
) -> None:
    (harness.folder / "garbage.pid").write_bytes(b"\xff\xfe not a pid")
    done = harness.surge("run", "http://127.0.0.1:9/", "--monitor", target, "-o", "r.jtl")
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and done.stderr.count("\n") == 1
    assert not (harness.folder / "r.jtl").exists()  # nothing ran


def test_a_server_that_dies_during_the_run_is_recorded_and_the_run_goes_on(harness: Harness) -> None:
    port = harness.serve("surge.demo:app", "--mode", "sync", "-w", "1")
    run = harness.start(
        "surge", "run", f"http://127.0.0.1:{port}/io", "-u", "2", "-d", "5s",
        "--monitor", "surge-run/serve.pid", "-o", "r.jtl",
    )  # fmt: skip
    assert run.stderr is not None
    assert "users" in run.stderr.readline()
    stopped = harness.surge("stop")
    assert stopped.returncode == 0, stopped.stderr
    stdout, _ = run.communicate(timeout=60)
    rows = metrics(harness.folder / "r.metrics.csv")
    events = [r for r in rows if r["kind"] == "event"]
    assert [e["note"] for e in events] == ["server gone"]
    gone_at = float(events[0]["elapsed_s"])
    assert 0 < gone_at < 5
    # The run went on to its end: machine and generator rows after the server had gone.
    assert max(float(r["elapsed_s"]) for r in rows if r["kind"] == "machine") >= 4
    assert "it went away" in stdout


def test_report_option_refuses_a_non_empty_folder_before_the_run(harness: Harness) -> None:
    (harness.folder / "report").mkdir()
    (harness.folder / "report" / "mine.txt").write_text("keep me")
    started = time.monotonic()
    done = harness.surge("run", "http://127.0.0.1:9/", "-d", "10s", "--report", "report", "-o", "r.jtl")
    assert done.returncode == 2 and "not empty" in done.stderr
    assert time.monotonic() - started < 9  # refused before the 10 s run, not after
    assert (harness.folder / "report" / "mine.txt").read_text() == "keep me"


@pytest.mark.browser
@NEEDS_CHROMIUM
def test_server_page_draws_in_headless_chromium(harness: Harness) -> None:
    port = harness.serve("surge.demo:app", "--mode", "gthread", "-w", "2")
    done = harness.surge(
        "run", f"http://127.0.0.1:{port}/cpu", "-u", "2", "-d", "3s", "--monitor", "surge-run/serve.pid",
        "-o", "r.jtl", "--report", "report", "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page_path = harness.folder / "report" / "content" / "pages" / "Server.html"
    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(page_path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 3", timeout=20_000)
        traces = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d.data.length)"
        )
        nav = page.evaluate("Array.from(document.querySelectorAll('nav a')).map(a => a.textContent.trim())")
        page.screenshot(path=str(harness.folder / "server.png"), full_page=True)
    assert errors == []
    # CPU: master, 2 workers and the total; memory the same; the generator and the machine.
    assert traces == [4, 4, 2]
    assert "Server" in nav
