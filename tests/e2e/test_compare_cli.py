"""``surge compare`` as a subprocess: exit codes, the JSON and JUnit outputs, trend, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from synthetic_runs import LabelSpec, samples, write_jtl

pytestmark = pytest.mark.timeout(180)

LABELS = {
    "login": LabelSpec(3000, 120),
    "search": LabelSpec(6000, 300),
    "checkout": LabelSpec(2000, 450, error_rate=0.02),
    "old page": LabelSpec(300, 80),
}


def run_compare(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surge", "compare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("runs")
    slower = {**LABELS, "search": LabelSpec(6000, 300, factor=1.2)}
    del slower["old page"]
    slower["new page"] = LabelSpec(400, 60)
    return {
        "base": write_jtl(folder / "base.jtl", samples(LABELS, 1)),
        "same": write_jtl(folder / "same.jtl", samples(LABELS, 2)),
        "slower": write_jtl(folder / "slower.jtl", samples(slower, 3)),
    }


def test_two_runs_of_the_same_service_pass(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = run_compare(runs["base"], runs["same"], "-o", tmp_path / "out", "--json", tmp_path / "c.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verdict: no regression" in proc.stdout
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc == json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert doc["verdict"] == "passed" and doc["exit_code"] == 0 and doc["default_rules"]
    assert doc["rules"] == ["p50>+5%", "p95>+5%", "error_rate>+0.5pp", "rps<-5%"]
    names = [row["name"] for row in doc["rows"]]
    assert names == ["Total", "checkout", "login", "old page", "search"]
    p95 = doc["rows"][0]["metrics"]["p95"]
    assert set(p95) >= {
        "baseline",
        "candidate",
        "absolute",
        "relative",
        "p_value",
        "ci_low",
        "ci_high",
        "significant",
    }
    assert "trend" not in doc and (tmp_path / "out" / "index.html").is_file()


def test_a_slower_candidate_is_a_regression_with_junit_and_json(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    proc = run_compare(
        runs["base"],
        runs["slower"],
        "-o",
        tmp_path / "out",
        "--junit",
        tmp_path / "j.xml",
        "--json",
        tmp_path / "c.json",
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "search: p95 +" in proc.stdout and "REGRESSION" in proc.stdout
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["verdict"] == "regression" and doc["exit_code"] == 3
    assert {(r["row"], r["metric"]) for r in doc["regressions"]} >= {("search", "p50"), ("search", "p95")}
    assert all(r["broken"] and r["significant"] for r in doc["regressions"])
    assert doc["only_in_baseline"] == [{"name": "old page", "samples": 300}]
    assert doc["only_in_candidate"] == [{"name": "new page", "samples": 400}]
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    failures = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert "search: p95>+5%" in failures and int(suite.get("failures", "0")) == len(doc["regressions"])
    assert int(suite.get("tests", "0")) == doc["checks_total"]
    assert all(c["broken"] for c in doc["checks"])


def test_rules_given_replace_the_defaults(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = run_compare(runs["base"], runs["slower"], "-o", tmp_path / "out", "--fail-if", "login:p99>+50%")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert doc["rules"] == ["login:p99>+50%"] and not doc["default_rules"] and doc["checks_total"] == 1


def test_three_runs_make_a_trend_and_the_last_is_judged(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = run_compare(runs["base"], runs["same"], runs["slower"], "-o", tmp_path / "out")
    assert proc.returncode == 3
    doc = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert [r["role"] for r in doc["runs"]] == ["baseline", "between", "candidate"]
    trend = {row["name"]: row for row in doc["trend"]}
    assert set(trend) == {"Total", "checkout", "login", "new page", "old page", "search"}
    assert len(trend["search"]["p95"]) == 3 and trend["search"]["p95"][2] > 1.1 * trend["search"]["p95"][0]
    assert trend["old page"]["rps"][2] is None and trend["new page"]["error_rate"][0] is None


def test_an_output_folder_with_files_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    line = one_line_error(run_compare(runs["base"], runs["same"], "-o", tmp_path / "out"))
    assert "not empty" in line and (tmp_path / "out" / "keep.txt").read_text() == "mine"


def _jtl(path: Path, stamps: list[str], label: str = "a") -> Path:
    header = (
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
    )
    header += "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    body = "".join(
        f"{t},{100 + i % 7},{label},200,OK,T 1-1,text,true,,10,10,1,1,u,5,0,0\n" for i, t in enumerate(stamps)
    )
    path.write_text(header + body, encoding="utf-8")
    return path


def _binary(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 8)
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda d: (d / "missing.jtl", _jtl(d / "b.jtl", [str(1735722000000 + i) for i in range(30)])),
            "not found",
        ),
        (
            lambda d: (_jtl(d / "a.jtl", []), _jtl(d / "b.jtl", [str(1735722000000 + i) for i in range(30)])),
            "no readable sample",
        ),
        (
            lambda d: (
                _binary(d / "bin.jtl"),
                _jtl(d / "b.jtl", ["1735722000000"]),
            ),
            "not text",
        ),
        (
            lambda d: (
                _jtl(d / "a.jtl", [str(1735722000000 + i) for i in range(30)], "a"),
                _jtl(d / "b.jtl", [str(1735722000000 + i) for i in range(30)], "b"),
            ),
            "no label in common",
        ),
        (
            lambda d: (
                _jtl(d / "a.jtl", [str(1735722000000 + i * 100) for i in range(30)]),
                _jtl(d / "b.jtl", [f"2025/01/01 09:00:{i:02d}.000" for i in range(30)]),
            ),
            "different kinds of timestamps",
        ),
        (
            lambda d: (
                _jtl(d / "a.jtl", [f"2025-01-01T09:00:{i:02d}.000+02:00" for i in range(30)]),
                _jtl(d / "b.jtl", [f"2025-01-01T09:00:{i:02d}.000+00:00" for i in range(30)]),
            ),
            "different time zones",
        ),
    ],
    ids=["missing", "empty", "binary", "no-common-label", "timestamp-kinds", "time-zones"],
)
def test_bad_input_is_one_line_and_exit_2(make, expected: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, cand = make(tmp_path)
    line = one_line_error(run_compare(base, cand, "-o", tmp_path / "out"))
    assert expected in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fail-if", "p95>-5%"], "catches an increase"),
        (["--fail-if", "max>+5%"], "max cannot be a rule"),
        (["--fail-if", "ghost:p95>+5%"], "no label 'ghost'"),
        (["--alpha", "0.7"], "--alpha"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    runs: dict[str, Path], tmp_path: Path, args: list[str], expected: str
) -> None:
    line = one_line_error(run_compare(runs["base"], runs["same"], "-o", tmp_path / "out", *args))
    assert expected in line


def test_one_file_is_not_a_comparison(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = run_compare(runs["base"], "-o", tmp_path / "out")
    assert proc.returncode == 2 and "CANDIDATE" in proc.stderr


def test_help_shows_the_default_rules() -> None:
    """The default rules hold '%', which argparse would read as a format directive."""
    proc = run_compare("--help")
    assert proc.returncode == 0, proc.stderr
    assert "p50>+5% p95>+5% error_rate>+0.5pp rps<-5%" in " ".join(proc.stdout.split())
