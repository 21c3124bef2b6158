"""``surge run -f plan.toml`` and ``-s scenario.py`` as subprocesses: results, verdicts, refused input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from servers.http_server import LocalHttpServer

SURGE = [sys.executable, "-m", "surge", "run"]


def surge(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *args], capture_output=True, text=True, timeout=90, cwd=cwd)


def test_plan_file_with_thresholds_and_summary(tmp_path: Path, server: LocalHttpServer) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"
            thresholds = ["error_rate<1%", "doc:p99<5s"]

            [requests.doc]
            label = "doc"
            url = "/json"
            extract = [{{ var = "loc", header = "Location" }}]
            assert = {{ status = 200, json = {{ "$.token" = "t-1" }} }}

            [requests.item]
            url = "${{loc}}"
            assert = {{ status = 404 }}

            [[groups]]
            users = 2
            iterations = 3
            """
        )
    )
    out, summary = tmp_path / "r.jtl", tmp_path / "s.json"
    done = surge("-f", str(plan), "-o", str(out), "-p", "1", "--summary-json", str(summary),
                 "--threshold", "samples>=12")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: passed (exit code 0)" in done.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and all(r["success"] == "true" for r in rows)
    assert {r["URL"] for r in rows if r["label"] != "doc"} == {f"{server.base_url}/items/42"}
    assert {r["threadName"] for r in rows} == {"group1 1-1", "group1 1-2"}
    document = json.loads(summary.read_text())
    assert [t["threshold"] for t in document["thresholds"]] == ["error_rate<1%", "doc:p99<5s", "samples>=12"]


def test_python_user_cli(tmp_path: Path, server: LocalHttpServer) -> None:
    script = tmp_path / "users.py"
    script.write_text(
        "async def user(session):\n"
        "    r = await session.get('/fast', label='fast')\n"
        "    session.check(r.text == 'ok', 'body is not ok')\n"
        "    r = await session.get('/json')\n"
        "    session.check(r.json()['id'] == 41, 'Test failed: id expected to be 41')\n"
    )
    out = tmp_path / "r.jtl"
    done = surge("-s", str(script), server.base_url, "-u", "2", "-n", "2", "-p", "1", "-o", str(out),
                 "--threshold", "fast:error_rate<1%", "--threshold", "error_rate<1%")  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Threshold passed: fast:error_rate<1%" in done.stdout
    assert "Errors: 4 x Test failed: id expected to be 41" in done.stdout


@pytest.mark.parametrize(
    ("plan_text", "expected"),
    [
        (
            "[requests.a]\nurl = 'http://127.0.0.1:9/'\n[[groups]]\nuserz = 1\n",
            "plan.toml:4: unknown key 'userz'",
        ),
        ("[requests.a]\nurl = 'http//127.0.0.1/'\n[[groups]]\n", "plan.toml:2: "),
        ("[requests.a\n", "plan.toml:1: invalid TOML"),
        (
            "[feeders.f]\nfile = 'nope.csv'\n[requests.a]\nurl = 'http://h/'\n[[groups]]\n",
            "plan.toml:2: cannot read CSV",
        ),
        (
            "[requests.a]\nurl = 'http://h/'\nextract = [{ var = 'x', regex = '[' }]\n[[groups]]\n",
            "plan.toml:3: invalid regex",
        ),
    ],
)
def test_bad_plan_file_is_refused_with_file_and_line(tmp_path: Path, plan_text: str, expected: str) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text)
    done = surge("-f", str(plan), "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert expected in done.stderr, done.stderr
    assert not (tmp_path / "r.jtl").exists()  # refused before the run


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("def user(session):\n    pass\n", [], "async def user(session)"),
        ("async def usr(session):\n    pass\n", [], "async def user(session)"),
        ("async def user(:\n", [], "users.py:1: invalid Python"),
        ("raise RuntimeError('boom')\n", [], "RuntimeError: boom"),
        ("async def user(session):\n    pass\n", ["-H", "A: b"], "-H: not used with -s"),
    ],
)
def test_bad_python_user_is_refused(tmp_path: Path, script: str, args: list[str], expected: str) -> None:
    path = tmp_path / "users.py"
    path.write_text(script)
    done = surge("-s", str(path), "http://127.0.0.1:9", "-o", str(tmp_path / "r.jtl"), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert expected in done.stderr, done.stderr


def test_plan_file_refuses_load_options(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text("[requests.a]\nurl = 'http://127.0.0.1:9/'\n[[groups]]\n")
    done = surge("-f", str(plan), "-u", "5", "-d", "3s", "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 2 and "-u, -d: set in the scenario file" in done.stderr


def test_open_model_plan_file(tmp_path: Path, server: LocalHttpServer) -> None:
    plan = tmp_path / "open.toml"
    plan.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"
            thresholds = ["samples>=80", "samples<=80"]

            [requests.fast]
            url = "/fast"
            [requests.json]
            url = "/json"

            [[groups]]
            name = "arrivals"
            stages = "1s:40,1s:80"
            max_in_flight = 50
            """
        )
    )
    out = tmp_path / "r.jtl"
    done = surge("-f", str(plan), "-o", str(out), "-p", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Arrivals: 80, late" in done.stdout  # 0 -> 40/s over 1 s, then 40 -> 80/s over 1 s: 20 + 60
    header = out.read_text().splitlines()[0]
    assert header.endswith(',"queueTime"')
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 80
    labels = sorted(r["label"] for r in rows)
    assert labels.count("GET /fast") == labels.count("GET /json")  # arrivals take the journey in turn


@pytest.mark.parametrize(
    ("args", "named"),
    [
        # Values equal to the defaults are options given all the same: refused, not silently dropped.
        (["-u", "1"], "-u"),
        (["--ramp-up", "0"], "--ramp-up"),
        (["--think-time", "0"], "--think-time"),
        (["--timeout", "30s"], "--timeout"),
    ],
)
def test_plan_file_refuses_load_options_even_at_their_defaults(
    tmp_path: Path, args: list[str], named: str
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text("[requests.a]\nurl = 'http://127.0.0.1:9/'\n[[groups]]\n")
    done = surge("-f", str(plan), *args, "-o", str(tmp_path / "r.jtl"))
    assert done.returncode == 2, done.stderr
    assert f"{named}: set in the scenario file" in done.stderr
