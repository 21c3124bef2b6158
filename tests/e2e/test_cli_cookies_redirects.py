"""Cookies and redirects for every kind of surge user, from the command line: URLs, plan files, Python."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from servers.http_server import LocalHttpServer

SURGE = [sys.executable, "-m", "surge", "run"]


def surge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *args], capture_output=True, text=True, timeout=90)


def outcomes(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="") as f:
        return [(r["label"], r["responseCode"]) for r in csv.DictReader(f)]


NO_COOKIE = [("GET /login", "401"), ("GET /login-0", "302"), ("GET /login-1", "401"), ("GET /home", "401")]
LOGGED_IN = [("GET /login", "200"), ("GET /login-0", "302"), ("GET /login-1", "200"), ("GET /home", "200")]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], [("GET /login", "302"), ("GET /home", "401")]),  # the hot path: neither, as before
        (["--cookies", "--follow-redirects"], LOGGED_IN),
        (["--follow-redirects"], NO_COOKIE),
        (["--cookies"], [("GET /login", "302"), ("GET /home", "200")]),
    ],
)
def test_url_run(
    tmp_path: Path, server: LocalHttpServer, options: list[str], expected: list[tuple[str, str]]
) -> None:
    out = tmp_path / "r.jtl"
    base = server.base_url
    done = surge(f"{base}/login", f"{base}/home", "-n", "1", "-p", "1", "-q", "-o", str(out), *options)
    assert done.returncode == 0, done.stderr
    assert outcomes(out) == expected


def test_url_run_redirect_limit(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge(f"{server.base_url}/loop", "-n", "1", "-p", "1", "-q", "-o", str(out),
                 "--follow-redirects", "--max-redirects", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [code for _, code in outcomes(out)] == [
        "Non HTTP response code: TooManyRedirects", "302", "302", "302",
        "Non HTTP response code: TooManyRedirects",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max-redirects", "3"], "--max-redirects applies when redirects are followed"),
        (["--cookies", "--rate", "10"], "--cookies, --follow-redirects and --connect-to need users"),
    ],
)
def test_url_run_refusals(tmp_path: Path, args: list[str], expected: str) -> None:
    done = surge("http://127.0.0.1:9/", "-o", str(tmp_path / "r.jtl"), *args)
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1


def plan_file(tmp_path: Path, server: LocalHttpServer, extra: str = "") -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"
            {extra}
            [requests.login]
            label = "GET /login"
            url = "/login"

            [requests.home]
            url = "/home"

            [[groups]]
            iterations = 1
            """
        )
    )
    return plan


def test_plan_file_keeps_cookies_and_follows_by_default(tmp_path: Path, server: LocalHttpServer) -> None:
    out = tmp_path / "r.jtl"
    done = surge("-f", str(plan_file(tmp_path, server)), "-p", "1", "-q", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert outcomes(out) == LOGGED_IN


@pytest.mark.parametrize(
    ("extra", "options", "expected"),
    [
        ("cookies = false", [], NO_COOKIE),
        ("", ["--no-cookies", "--no-follow-redirects"], [("GET /login", "302"), ("GET /home", "401")]),
        ("follow_redirects = false", ["--follow-redirects"], LOGGED_IN),  # the command line wins
    ],
)
def test_plan_file_options(
    tmp_path: Path, server: LocalHttpServer, extra: str, options: list[str], expected: list[tuple[str, str]]
) -> None:
    out = tmp_path / "r.jtl"
    done = surge("-f", str(plan_file(tmp_path, server, extra)), "-p", "1", "-q", "-o", str(out), *options)
    assert done.returncode == 0, done.stderr
    assert outcomes(out) == expected


def test_python_user_keeps_cookies_unless_told(tmp_path: Path, server: LocalHttpServer) -> None:
    script = tmp_path / "users.py"
    script.write_text(
        "async def user(session):\n"
        "    await session.get('/login', label='GET /login')\n"
        "    await session.get('/home', label='GET /home')\n"
    )
    out = tmp_path / "r.jtl"
    done = surge("-s", str(script), server.base_url, "-n", "1", "-p", "1", "-q", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert outcomes(out) == LOGGED_IN
    out.unlink()
    done = surge("-s", str(script), server.base_url, "-n", "1", "-p", "1", "-q", "-o", str(out),
                 "--no-follow-redirects")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert outcomes(out) == [("GET /login", "302"), ("GET /home", "200")]
