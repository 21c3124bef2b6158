"""A scripted user's cookies and redirects against the local server, recorded as JMeter records them."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.runner import run_plan
from surge.plan import LoadModel, Plan, UserGroup
from surge.scenario.script import ScriptBehaviour


def run_user(tmp_path: Path, server: LocalHttpServer, body: str, iterations: int = 1) -> list[dict[str, str]]:
    script = tmp_path / "user.py"
    script.write_text("from surge.engine.session import SessionOptions\n\n\n" + textwrap.dedent(body))
    behaviour = ScriptBehaviour(str(script), "user", server.base_url)
    plan = Plan(groups=(UserGroup(requests=(), load=LoadModel(iterations=iterations), behaviour=behaviour),))
    out = tmp_path / "r.jtl"
    run_plan(plan, out, processes=1)
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


def test_login_redirect_is_followed_with_sub_samples_and_its_cookie_kept(
    tmp_path: Path, server: LocalHttpServer
) -> None:
    rows = run_user(
        tmp_path,
        server,
        """\
        async def user(session):
            r = await session.post("/login", label="login", body="user=ada")
            session.check(r.text == "welcome", "not logged in")
            await session.get("/cookies", label="cookies")
            await session.get("/prefs/cookies", label="prefs")
            await session.get("/logout", label="logout")
            await session.get("/cookies", label="after logout")
            await session.get("/home", label="home")
        """,
    )
    labels = [r["label"] for r in rows]
    assert labels == ["login", "login-0", "login-1", "cookies", "prefs", "logout", "after logout", "home"]
    login, first, second = rows[:3]
    base = server.base_url
    # The parent: the chain's start, the last response's status and URL, bytes summed.
    assert (login["responseCode"], login["success"], login["URL"]) == ("200", "true", f"{base}/home")
    assert (first["responseCode"], first["URL"]) == ("302", f"{base}/login")
    assert (second["responseCode"], second["URL"]) == ("200", f"{base}/home")
    assert login["timeStamp"] == first["timeStamp"]
    assert int(login["bytes"]) == int(first["bytes"]) + int(second["bytes"])
    assert int(login["sentBytes"]) == int(first["sentBytes"]) + int(second["sentBytes"])
    assert int(login["timeStamp"]) + int(login["elapsed"]) >= int(second["timeStamp"]) + int(
        second["elapsed"]
    )
    # 302 turns the POST into a GET without its body; the cookie set on the 302 came along.
    assert int(second["sentBytes"]) < int(first["sentBytes"])
    by_label = {r["label"]: r for r in rows}
    assert by_label["home"]["responseCode"] == "401"  # logged out: the cookie was deleted


def test_cookie_header_values_follow_path_rules(tmp_path: Path, server: LocalHttpServer) -> None:
    rows = run_user(
        tmp_path,
        server,
        """\
        async def user(session):
            await session.get("/login", label="login")
            r = await session.get("/cookies", label="root")
            session.check(r.text.startswith("sid=s-") and "theme" not in r.text, "root: " + r.text)
            r = await session.get("/prefs/x", label="prefs")
            await session.get("/logout", label="logout")
            r = await session.get("/cookies", label="after")
            session.check(r.text == "", "after logout: " + r.text)
        """,
    )
    assert [
        (r["label"], r["success"], r["failureMessage"]) for r in rows if r["label"] in ("root", "after")
    ] == [
        ("root", "true", ""),
        ("after", "true", ""),
    ]


def test_redirect_loop_stops_at_the_limit_with_a_failed_sample(
    tmp_path: Path, server: LocalHttpServer
) -> None:
    rows = run_user(
        tmp_path,
        server,
        """\
        async def user(session):
            session.max_redirects = 3
            await session.get("/loop", label="loop")
            await session.get("/fast", label="after")
        """,
    )
    labels = [r["label"] for r in rows]
    assert labels == ["loop", "loop-0", "loop-1", "loop-2", "loop-3", "loop-4", "after"]
    loop = rows[0]
    assert loop["success"] == "false"
    assert loop["responseCode"] == "Non HTTP response code: TooManyRedirects"
    assert loop["responseMessage"] == "Non HTTP response message: Exceeded maximum number of redirects: 3"
    assert [r["responseCode"] for r in rows[1:5]] == ["302"] * 4  # the request and 3 redirects
    assert rows[5]["success"] == "false" and rows[6]["success"] == "true"


def test_methods_across_redirects_and_not_following(tmp_path: Path, server: LocalHttpServer) -> None:
    rows = run_user(
        tmp_path,
        server,
        """\
        async def user(session):
            r = await session.post("/redirect?to=/echo&status=307", body="keep=me", label="307")
            session.check(r.text.startswith("POST /echo") and r.text.endswith("keep=me"), r.text[:40])
            r = await session.post("/redirect?to=/echo&status=303", body="drop=me", label="303")
            session.check(r.text.startswith("GET /echo") and "drop=me" not in r.text, r.text[:40])
            r = await session.get("/redirect?to=/fast", label="manual", follow_redirects=False)
            session.check(r.status == 302 and r.headers["location"] == "/fast", "followed")
            session.configure(SessionOptions(follow_redirects=False))
            await session.get("/redirect?to=/fast", label="off")
        """,
    )
    assert [(r["label"], r["responseCode"], r["success"]) for r in rows] == [
        ("307", "200", "true"),
        ("307-0", "307", "true"),
        ("307-1", "200", "true"),
        ("303", "200", "true"),
        ("303-0", "303", "true"),
        ("303-1", "200", "true"),
        ("manual", "302", "true"),
        ("off", "302", "true"),
    ]


def test_without_cookies_the_login_does_not_stick(tmp_path: Path, server: LocalHttpServer) -> None:
    rows = run_user(
        tmp_path,
        server,
        """\
        async def user(session):
            session.configure(SessionOptions(cookies=False, record_redirects=False))
            await session.get("/login", label="login")
        """,
    )
    # Followed, recorded as one sample (as JMeter's "Redirect Automatically"), and refused at /home.
    assert [(r["label"], r["responseCode"], r["URL"]) for r in rows] == [
        ("login", "401", f"{server.base_url}/home")
    ]
