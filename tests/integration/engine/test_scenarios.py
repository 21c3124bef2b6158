"""Plan files and Python users against the local server: data, extraction, checks, several processes."""

from __future__ import annotations

import csv
import textwrap
from collections import Counter
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.runner import run_plan
from surge.plan import ClientOptions, LoadModel, Plan, UserGroup
from surge.scenario.plan_file import load_plan_file
from surge.scenario.script import ScriptBehaviour


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_plan_file_feeds_extracts_and_asserts_over_two_processes(
    tmp_path: Path, server: LocalHttpServer
) -> None:
    (tmp_path / "people.csv").write_text("name,password\n" + "".join(f"user{i},pw{i}\n" for i in range(9)))
    plan_path = tmp_path / "plan.toml"
    plan_path.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"
            duration = "20s"

            [feeders.people]
            file = "people.csv"
            mode = "unique"
            on_exhausted = "stop"

            [requests.login]
            label = "login"
            method = "POST"
            url = "/echo"
            headers = {{ X-Send = "${{name}}" }}
            json = {{ user = "${{name}}", password = "${{password}}" }}
            extract = [
              {{ var = "echoed", header = "X-Echo-Header" }},
              {{ var = "pw", regex = '"password":"([^"]+)"' }},
            ]
            assert = {{ status = 200, contains = '"user":"${{name}}"' }}

            [requests.profile]
            label = "profile"
            url = "/json"
            query = {{ who = "${{echoed}}", pw = "${{pw}}" }}
            extract = [{{ var = "tag", json = "$.user.tags[1]" }}]
            assert = {{ json = {{ "$.user.name" = "ada", "$.id" = 42 }} }}

            [requests.tagged]
            label = "tagged"
            url = "/echo?tag=${{tag}}"
            assert = {{ contains = "tag=y", not_contains = "HTTP/1.1 500", max_elapsed = "10s" }}

            [requests.wrong]
            label = "wrong"
            url = "/json"
            assert = {{ status = 201, contains = "never there" }}

            [[groups]]
            name = "buyers"
            users = 3
            journey = ["login", "profile", "tagged", "wrong"]
            feeder = "people"
            """
        )
    )
    out = tmp_path / "r.jtl"
    result = run_plan(load_plan_file(plan_path), out, processes=2)
    rows = read_rows(out)
    by_label = Counter(r["label"] for r in rows)
    # 9 rows, each used once across both processes, then every user stops: 9 iterations of 4.
    assert by_label == {"login": 9, "profile": 9, "tagged": 9, "wrong": 9}
    assert result.total.samples == 36 and not result.interrupted
    logins = [r for r in rows if r["label"] == "login"]
    assert all(r["success"] == "true" for r in logins), logins
    profiles = [r for r in rows if r["label"] == "profile"]
    names = sorted(r["URL"].split("who=")[1].split("&")[0] for r in profiles)
    assert names == [f"user{i}" for i in range(9)]  # each row exactly once: extraction carried it over
    assert all(r["URL"].endswith(f"pw=pw{r['URL'].split('who=user')[1][0]}") for r in profiles)
    assert all(r["success"] == "true" for r in profiles)
    assert all(
        r["success"] == "true" and r["URL"].endswith("/echo?tag=y") for r in rows if r["label"] == "tagged"
    )
    wrong = [r for r in rows if r["label"] == "wrong"]
    assert {(r["responseCode"], r["success"], r["failureMessage"]) for r in wrong} == {
        ("200", "false", "Test failed: code expected to equal /201/ but was /200/")
    }
    assert result.top_errors == (("Test failed: code expected to equal /201/ but was /200/", 9),)
    assert {r["threadName"] for r in rows} == {"buyers 1-1", "buyers 1-2", "buyers 1-3"}


def test_weighted_pick_and_groups(tmp_path: Path, server: LocalHttpServer) -> None:
    plan_path = tmp_path / "plan.toml"
    plan_path.write_text(
        textwrap.dedent(
            f"""\
            base_url = "{server.base_url}"

            [requests.fast]
            url = "/fast"
            [requests.json]
            url = "/json"

            [[groups]]
            name = "pickers"
            users = 2
            iterations = 200
            pick = {{ fast = 3, json = 1 }}

            [[groups]]
            name = "walkers"
            users = 1
            iterations = 5
            journey = ["json", "fast"]
            think_time = {{ mean = "1ms", stddev = "1ms" }}
            """
        )
    )
    out = tmp_path / "r.jtl"
    run_plan(load_plan_file(plan_path), out, processes=1)
    rows = read_rows(out)
    pickers = Counter(r["label"] for r in rows if r["threadName"].startswith("pickers 1-"))
    assert sum(pickers.values()) == 400
    assert 240 <= pickers["GET /fast"] <= 360  # 300 expected (3:1); bounds at about 7 standard deviations
    walkers = [r["label"] for r in rows if r["threadName"] == "walkers 2-1"]
    assert walkers == ["GET /json", "GET /fast"] * 5
    assert {r["allThreads"] for r in rows} <= {"1", "2", "3"}
    # grpThreads counts the sample's own group: at most 2 pickers, 1 walker.
    assert {r["grpThreads"] for r in rows if r["threadName"].startswith("pickers")} <= {"1", "2"}
    assert {r["grpThreads"] for r in rows if r["threadName"].startswith("walkers")} == {"1"}


def test_python_user(tmp_path: Path, server: LocalHttpServer) -> None:
    script = tmp_path / "users.py"
    script.write_text(
        textwrap.dedent(
            """\
            async def user(session):
                r = await session.get("/json", label="doc")
                data = r.json()
                session.vars["seen"] = session.vars.get("seen", 0) + 1
                r = await session.post("/echo", json={"id": data["id"]}, headers={"X-Send": data["token"]})
                session.check(r.headers["x-echo-header"] == "t-1", "no echo")
                session.check('"id":42' in r.text, "id not echoed")
                r = await session.get("/status/404", params={"n": session.vars["seen"]})
                if r.status == 404:
                    r.fail("gone")
                r = await session.get("http://127.0.0.1:1/refused")
                session.check(r.error is not None and r.status == 0, "expected a refused connection")
                if session.iteration == 1:
                    raise ValueError("bug on the second pass")
                await session.think(0.001)
            """
        )
    )
    plan = Plan(
        groups=(
            UserGroup(
                requests=(),
                load=LoadModel(users=2, iterations=3),
                behaviour=ScriptBehaviour(str(script), base_url=server.base_url),
            ),
        ),
        client=ClientOptions(timeout_s=5.0),
    )
    out = tmp_path / "r.jtl"
    result = run_plan(plan, out, processes=2)
    rows = read_rows(out)
    labels = Counter(r["label"] for r in rows)
    assert labels == {"doc": 6, "POST /echo": 6, "GET /status/404": 6, "GET /refused": 6, "user": 2}
    assert all(r["success"] == "true" for r in rows if r["label"] in ("doc", "POST /echo"))
    assert {r["failureMessage"] for r in rows if r["label"] == "GET /status/404"} == {"gone"}
    refused = [r for r in rows if r["label"] == "GET /refused"]
    assert {r["responseCode"] for r in refused} == {"Non HTTP response code: ConnectionRefusedError"}
    bugs = [r for r in rows if r["label"] == "user"]
    assert {(r["responseCode"], r["success"]) for r in bugs} == {
        ("Non HTTP response code: ValueError", "false")
    }
    assert "bug on the second pass" in bugs[0]["responseMessage"]
    urls = sorted(r["URL"] for r in rows if r["label"] == "GET /status/404")
    assert urls[0].endswith("/status/404?n=1") and urls[-1].endswith("/status/404?n=3")
    assert result.total.samples == 26
