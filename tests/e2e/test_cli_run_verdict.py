"""``surge run`` as a CI step: thresholds, exit codes 0/3/4, --abort-on-fail, JUnit and JSON reports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from servers.http_server import LocalHttpServer

SURGE = [sys.executable, "-m", "surge", "run"]


def surge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *args], capture_output=True, text=True, timeout=90)


def test_thresholds_pass_and_fail_with_reports(tmp_path: Path, server: LocalHttpServer) -> None:
    out, junit, summary = tmp_path / "r.jtl", tmp_path / "junit.xml", tmp_path / "summary.json"
    urls = [f"{server.base_url}/fast", f"{server.base_url}/status/500"]
    done = surge(
        *urls, "-n", "10", "-p", "1", "-o", str(out), "--threshold", "p99<5s",
        "--threshold", "error_rate<1%", "--threshold", "GET /fast:error_rate<1%",
        "--junit", str(junit), "--summary-json", str(summary),
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "Threshold passed: p99<5s" in done.stdout
    assert "Threshold FAILED: error_rate<1%  (error_rate = 50.00%, limit < 1.00%)" in done.stdout
    assert "Verdict: FAILED (1 threshold(s)) (exit code 3)" in done.stdout
    cases = ET.parse(junit).getroot().findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["p99<5s", "error_rate<1%", "GET /fast:error_rate<1%"]
    assert [c.find("failure") is not None for c in cases] == [False, True, False]
    document = json.loads(summary.read_text())
    assert document["verdict"] == "thresholds_failed" and document["exit_code"] == 3
    assert document["total"]["samples"] == 20 and document["total"]["errors"] == 10
    assert [t["passed"] for t in document["thresholds"]] == [True, False, True]
    assert document["results_file"] == str(out)

    passed = surge(
        urls[0], "-n", "5", "-p", "1", "-o", str(out), "--force", "-q", "--threshold", "error_rate<1%"
    )
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout == ""


def test_abort_on_fail_stops_early_with_exit_3(tmp_path: Path, server: LocalHttpServer) -> None:
    summary = tmp_path / "s.json"
    started = time.monotonic()
    done = surge(
        # A think time keeps the generator far from CPU saturation (which would make the run invalid).
        f"{server.base_url}/status/503", "-d", "60s", "-p", "1", "--think-time", "20ms",
        "-o", str(tmp_path / "r.jtl"),
        "--threshold", "errors<5", "--abort-on-fail", "--summary-json", str(summary),
    )  # fmt: skip
    assert time.monotonic() - started < 45  # far from the 60 s asked: stopped on the threshold
    assert done.returncode == 3, done.stderr
    assert "Aborted: threshold errors<5 failed" in done.stdout
    document = json.loads(summary.read_text())
    assert document["aborted_by"] == "errors<5" and document["verdict"] == "thresholds_failed"
    assert document["interrupted"] is False


def test_requests_leaving_late_make_the_run_invalid(tmp_path: Path, server: LocalHttpServer) -> None:
    # One request in flight at a time, 200 ms each, 20 arrivals/s: most of them leave late.
    junit = tmp_path / "j.xml"
    done = surge(
        f"{server.base_url}/slow?ms=200", "--rate", "20", "-d", "2s", "--max-in-flight", "1", "-p", "1",
        "-o", str(tmp_path / "r.jtl"), "--threshold", "p99<10s", "--junit", str(junit),
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert "Invalid run: requests left late" in done.stdout
    assert "Arrivals: 40, late" in done.stdout and "never sent" in done.stdout
    names = [c.get("name") for c in ET.parse(junit).getroot().findall("./testsuite/testcase")]
    assert names == ["p99<10s", "run is valid"]


@pytest.mark.parametrize(
    "args",
    [
        ["--threshold", "p95<<3"],
        ["--threshold", "latency<3ms"],
        ["--rate", "10", "-n", "3"],
        ["--stages", "10s"],
        ["--max-in-flight", "5"],
        ["--rate", "10", "-u", "5"],
        ["--junit", "/nonexistent/dir/j.xml"],
    ],
)
def test_bad_verdict_options_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = surge("http://127.0.0.1:9/", "-o", str(tmp_path / "r.jtl"), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_invalid_run_without_thresholds_warns_and_exits_0(tmp_path: Path, server: LocalHttpServer) -> None:
    # The same late-leaving run, but nobody asked for a verdict: it is reported, not failed.
    done = surge(
        f"{server.base_url}/slow?ms=200", "--rate", "20", "-d", "2s", "--max-in-flight", "1", "-p", "1",
        "-o", str(tmp_path / "r.jtl"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Invalid run: requests left late" in done.stdout
    assert "add --threshold" in done.stdout
    assert "Verdict:" not in done.stdout
