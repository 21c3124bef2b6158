"""JMeter plans that go wrong: bad input refused in one line (exit 2), and faults met during a run."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from jmx_builder import defaults, element, http, plan, prop, thread_group
from servers.http_server import LocalHttpServer

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "jmx"
SURGE = [sys.executable, "-m", "surge", "run"]

pytestmark = pytest.mark.timeout(300)


def surge(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *map(str, args)], capture_output=True, text=True, timeout=120)


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


def write_plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.jmx"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<jmeterTestPlan><hashTree><TestPlan testclass='TestPlan'>\n</hashTree>",
            "plan.jmx:2: not a well-formed",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<jmeterTestPlan/>',
            "document type or entity",
        ),
        ("<testResults/>", "not a JMeter plan (the root element is <testResults>"),
        ("", "not a well-formed JMeter plan"),
    ],
)
def test_unreadable_plans(tmp_path: Path, text: str, expected: str) -> None:
    one_line_error(surge("-f", write_plan(tmp_path, text), "-o", tmp_path / "r.jtl"), expected)
    assert not (tmp_path / "r.jtl").exists()


def test_module_controller_pointing_at_an_absent_fragment(tmp_path: Path) -> None:
    text = (
        (PLANS / "surge-shop.jmx")
        .read_text(encoding="utf-8")
        .replace(">Logout</stringProp>", ">Gone</stringProp>")
    )
    done = surge("-f", write_plan(tmp_path, text), "--dry-run")
    one_line_error(
        done, "Module Controller 'Log out' runs Shop > Common steps > Gone, which is not in the plan"
    )


def test_missing_data_file_names_the_path_and_the_option(tmp_path: Path) -> None:
    done = surge("-f", PLANS / "egas88-sber.jmx", "-o", tmp_path / "r.jtl", "-d", "1s")
    one_line_error(
        done, "'E:/SBER_test_task/Choices.csv'", "'E:/SBER_test_task/Search_params.csv'", "--data-dir"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-J", "novalue"], "-J 'novalue': give NAME=VALUE"),
        (["--property-file", "/nonexistent/x.properties"], "cannot read property file"),
        (["--json"], "--json goes with --dry-run"),
        (["-u", "5"], "-u: set in the JMeter plan"),
        (["--data-dir", "/nonexistent"], "not a folder"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], expected: str) -> None:
    one_line_error(surge("-f", PLANS / "surge-shop.jmx", "-o", tmp_path / "r.jtl", *args), expected)


def test_jmx_options_need_a_jmx_plan(tmp_path: Path) -> None:
    one_line_error(
        surge("http://127.0.0.1:9/", "--dry-run", "-o", tmp_path / "r.jtl"), "for JMeter test plans"
    )


def test_group_looping_for_ever_needs_a_duration(tmp_path: Path, server: LocalHttpServer) -> None:
    body = defaults("127.0.0.1", server.port) + thread_group("forever", http("fast", "/fast"), loops=-1)
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", tmp_path / "r.jtl")
    one_line_error(
        done, "thread group 'forever' loops for ever without a scheduler duration: give -d DURATION"
    )
    done = surge(
        "-f", write_plan(tmp_path, plan(body)), "-o", tmp_path / "r.jtl", "-d", "1s", "-q", "-p", "1"
    )
    assert done.returncode == 0, done.stderr
    assert len(rows_of(tmp_path / "r.jtl")) > 1


def test_unknown_elements_are_refused_one_line_each(tmp_path: Path) -> None:
    body = thread_group(
        "g",
        http("a", "http://127.0.0.1:9/")
        + element("WhileController", "loop while")
        + element("com.acme.Magic", "x"),
    )
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", tmp_path / "r.jtl")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert [line.split(": ", 4)[3] for line in lines[:2]] == [
        "WhileController 'loop while'",
        "com.acme.Magic 'x'",
    ]
    assert lines[-1].startswith("surge run: error: 2 element(s) above")


def test_redirect_loop_stops_at_the_limit(tmp_path: Path, server: LocalHttpServer) -> None:
    body = defaults("127.0.0.1", server.port) + thread_group(
        "g", http("loop", "/loop", follow_redirects=True)
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", out, "-q", "-p", "1", "--max-redirects", "5")
    assert done.returncode == 0, done.stderr
    rows = rows_of(out)
    # The sample, its request and 5 redirects followed (6 hops of 302), then the failed hop.
    assert [r["label"] for r in rows] == ["loop", *(f"loop-{i}" for i in range(7))]
    assert rows[0]["success"] == "false"
    assert rows[0]["responseMessage"] == "Non HTTP response message: Exceeded maximum number of redirects: 5"
    assert [r["responseCode"] for r in rows[1:7]] == ["302"] * 6


def test_redirects_as_each_sampler_says(tmp_path: Path, server: LocalHttpServer) -> None:
    body = defaults("127.0.0.1", server.port) + thread_group(
        "g",
        http("follow", "/redirect?to=/fast", follow_redirects=True)
        + http("auto", "/redirect?to=/fast", auto_redirects=True)
        + http("none", "/redirect?to=/fast"),
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", out, "-q", "-p", "1")
    assert done.returncode == 0, done.stderr
    # Follow Redirects: sub-samples; Redirect Automatically: one sample (HttpClient follows);
    # neither: the 302.
    assert [(r["label"], r["responseCode"]) for r in rows_of(out)] == [
        ("follow", "200"), ("follow-0", "302"), ("follow-1", "200"), ("auto", "200"), ("none", "302"),
    ]  # fmt: skip


def test_csv_data_set_exhausted_with_stop_thread(tmp_path: Path, server: LocalHttpServer) -> None:
    (tmp_path / "ids.csv").write_text("1\n2\n3\n4\n5\n")
    data = element(
        "CSVDataSet",
        "ids",
        prop("filename", "ids.csv") + prop("variableNames", "id") + prop("recycle", False)
        + prop("stopThread", True) + prop("shareMode", "shareMode.all"),
    )  # fmt: skip
    body = (
        defaults("127.0.0.1", server.port) + data + thread_group("g", http("get", "/fast?id=${id}"), 3, 100)
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", out, "-q", "-p", "2")
    assert done.returncode == 0, done.stderr
    rows = rows_of(out)
    # 5 lines shared by 3 users over 2 processes: each line once, then every user stops.
    assert sorted(r["URL"].rsplit("=", 1)[1] for r in rows) == ["1", "2", "3", "4", "5"]


def test_csv_data_set_at_its_end_without_stop_reads_eof(tmp_path: Path, server: LocalHttpServer) -> None:
    (tmp_path / "ids.csv").write_text("id\n7\n")  # no variable names: the first line gives them
    data = element("CSVDataSet", "ids", prop("filename", "ids.csv") + prop("recycle", False))
    body = defaults("127.0.0.1", server.port) + data + thread_group("g", http("get", "/fast?id=${id}"), 1, 3)
    out = tmp_path / "r.jtl"
    assert surge("-f", write_plan(tmp_path, plan(body)), "-o", out, "-q", "-p", "1").returncode == 0
    assert [r["URL"].rsplit("=", 1)[1] for r in rows_of(out)] == ["7", "<EOF>", "<EOF>"]


def test_setup_and_teardown_groups_run_before_and_after(tmp_path: Path, server: LocalHttpServer) -> None:
    body = (
        defaults("127.0.0.1", server.port)
        + thread_group("main", http("main", "/slow?ms=50"), users=2, loops=2)
        + thread_group("prepare", http("prepare", "/slow?ms=100"), tag="SetupThreadGroup")
        + thread_group("clean", http("clean", "/fast"), tag="PostThreadGroup")
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", write_plan(tmp_path, plan(body)), "-o", out, "-p", "1")
    assert done.returncode == 0, done.stderr
    assert "== setUp (phase 1 of 3)" in done.stdout and "== tearDown (phase 3 of 3)" in done.stdout
    rows = rows_of(out)
    assert Counter(r["label"] for r in rows) == {"prepare": 1, "main": 4, "clean": 1}

    def span(label: str) -> tuple[int, int]:
        times = [
            (int(r["timeStamp"]), int(r["timeStamp"]) + int(r["elapsed"]))
            for r in rows
            if r["label"] == label
        ]
        return min(t[0] for t in times), max(t[1] for t in times)

    assert span("prepare")[1] <= span("main")[0] and span("main")[1] <= span("clean")[0]
    assert {r["threadName"] for r in rows if r["label"] == "prepare"} == {"prepare 1-1"}


def test_jmx_users_keep_cookies_even_without_a_cookie_manager(
    tmp_path: Path, server: LocalHttpServer
) -> None:
    body = defaults("127.0.0.1", server.port) + thread_group(
        "g", http("login", "/login", follow_redirects=True) + http("home", "/home")
    )
    out = tmp_path / "r.jtl"
    path = write_plan(tmp_path, plan(body))
    assert surge("-f", path, "-o", out, "-q", "-p", "1").returncode == 0
    assert [(r["label"], r["responseCode"]) for r in rows_of(out)][-1] == ("home", "200")
    out.unlink()
    assert surge("-f", path, "-o", out, "-q", "-p", "1", "--no-cookies").returncode == 0
    assert [(r["label"], r["responseCode"]) for r in rows_of(out)][-1] == (
        "home",
        "401",
    )  # as JMeter without one
