"""``surge run -f PLAN.jmx`` as a subprocess: real JMeter plans against a local imitation of their services.

``--connect-to`` points each plan's host at the local server (tests/servers/imitation.py), over
TLS for the https plans (``--insecure``: its certificate is self-signed); the data files the
plans name on their authors' machines are written to a folder given as ``--data-dir``.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servers.imitation import ImitationServer
from servers.tls import self_signed_server_context

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "jmx"
SURGE = [sys.executable, "-m", "surge"]

pytestmark = pytest.mark.timeout(300)


def surge(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SURGE, *map(str, args)], capture_output=True, text=True, timeout=120)


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def site() -> Iterator[ImitationServer]:
    with ImitationServer() as running:
        yield running


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImitationServer]:
    context = self_signed_server_context(tmp_path_factory.mktemp("tls"))
    with ImitationServer(ssl_context=context) as running:
        yield running


def test_shop_plan_logs_in_reuses_ids_and_writes_transactions_as_jmeter(
    tmp_path: Path, site: ImitationServer
) -> None:
    (tmp_path / "shoppers.csv").write_text("ada,pw1\nbob,pw2\ncyd,pw3\n")
    out = tmp_path / "shop.jtl"
    before = site.counts["POST /api/cart 201"]
    done = surge("run", "-f", PLANS / "surge-shop.jmx", "--data-dir", tmp_path, "-p", "1", "-q", "-o", out,
                 "--connect-to", f"shop.example:80:127.0.0.1:{site.port}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ignored 1 element(s)" in done.stderr and "ResultCollector 'View Results Tree'" in done.stderr
    rows = rows_of(out)
    # The CSV data set has 3 lines, does not recycle and stops users at its end: 3 iterations in
    # all (2 users, 10 loops each), each one written as JMeter writes it.
    iteration = ["login", "login-0", "login-1", "Log in", "items", "Buy", "item 101", "add to cart", "logout"]
    by_user: dict[str, list[str]] = {}
    for row in rows:
        by_user.setdefault(row["threadName"], []).append(row["label"])
    assert sorted(len(labels) for labels in by_user.values()) == [len(iteration), 2 * len(iteration)]
    for labels in by_user.values():
        assert labels == iteration * (len(labels) // len(iteration))
    assert all(row["success"] == "true" for row in rows), [r for r in rows if r["success"] != "true"]
    # The login's cookie went back with the cart's POST, whose JSON body carried the first id.
    assert site.counts["POST /api/cart 201"] - before == 3
    # A redirect: the parent sample ends where the chain ends, its hops follow it.
    login, hop0, hop1 = rows[0:3]
    assert (login["responseCode"], hop0["responseCode"], hop1["responseCode"]) == ("200", "302", "200")
    assert login["URL"].endswith("/home") and hop0["URL"].endswith("/login")
    # Transactions: "Log in" after its sample (default mode), "Buy" before its two (parent sample).
    log_in = next(r for r in rows if r["label"] == "Log in")
    assert log_in["responseMessage"] == "Number of samples in transaction : 1, number of failing samples : 0"
    assert (log_in["URL"], log_in["dataType"], log_in["responseCode"]) == ("", "", "200")
    buy = next(r for r in rows if r["label"] == "Buy")
    assert buy["responseMessage"] == "Number of samples in transaction : 2, number of failing samples : 0"
    after = [r for r in rows[rows.index(buy) + 1 :] if r["threadName"] == buy["threadName"]][:2]
    assert [r["label"] for r in after] == ["item 101", "add to cart"]
    assert int(buy["bytes"]) == sum(int(r["bytes"]) for r in after)
    assert int(buy["timeStamp"]) <= int(after[0]["timeStamp"])
    # The Module Controller ran the Test Fragment's logout; the If Controller's condition held.
    assert Counter(r["label"] for r in rows)["logout"] == 3

    report = tmp_path / "report"
    done = surge("report", out, "-o", report)
    assert done.returncode == 0, done.stderr
    # The dashboard's tables are in the data script index.html loads: window.X = JSON.parse("...");
    script = (report / "content" / "js" / "dashboard-data.js").read_text(encoding="utf-8")
    tables = json.loads(json.loads(script.split("JSON.parse(", 1)[1].rsplit(");", 1)[0]))["tables"]
    statistics_table = tables["statisticsTable"]
    controllers = {statistics_table["rows"][index][0] for index in statistics_table["controllers"]}
    assert controllers == {"Log in", "Buy"}
    statistics = json.loads((report / "statistics.json").read_text(encoding="utf-8"))
    assert statistics["Total"]["sampleCount"] == 3 * (len(iteration) - 2)  # controllers left out, as JMeter


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def run_fixture(
    tmp_path: Path, plan: str, mappings: list[str], *extra: str | Path
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
    out = tmp_path / "r.jtl"
    connect = [arg for mapping in mappings for arg in ("--connect-to", mapping)]
    done = surge("run", "-f", PLANS / plan, "--data-dir", tmp_path, "-p", "1", "-q", "-o", out, "--insecure",
                 *connect, *extra)  # fmt: skip
    return done, rows_of(out) if out.exists() else []


def test_peacebytes_reqres_reuses_the_extracted_token(tmp_path: Path, tls_site: ImitationServer) -> None:
    write(tmp_path, "users.txt", "morpheus,leader\nneo,the one\n")
    done, rows = run_fixture(tmp_path, "peacebytes-reqres.jmx", [f"reqres.in:443:127.0.0.1:{tls_site.port}"])
    assert done.returncode == 0, done.stderr
    # 5 users x 2 loops x 3 requests; /api/users answers 201 only with the token /api/register gave.
    assert Counter(r["label"] for r in rows) == {
        "Register Request": 10,
        "Add User Request": 10,
        "Get User Request": 10,
    }
    assert {(r["label"], r["responseCode"], r["success"]) for r in rows} == {
        ("Register Request", "200", "true"),
        ("Add User Request", "201", "true"),
        ("Get User Request", "200", "true"),
    }  # fmt: skip


def test_aleksandr_mock_logs_each_user_in_with_a_token(tmp_path: Path, site: ImitationServer) -> None:
    write(tmp_path, "data.csv", "alice,a1\nbob,b2\ncarol,c3\n")
    done, rows = run_fixture(
        tmp_path, "aleksandr-mock.jmx", [f"localhost:8080:127.0.0.1:{site.port}"], "-d", "3s"
    )
    assert done.returncode == 0, done.stderr
    # 100 users over 100 s, capped at 3 s: the users due in the first 3 s (one a second) run.
    assert {r["threadName"] for r in rows} == {"Thread Group 1-1", "Thread Group 1-2", "Thread Group 1-3"}
    user_rows = [r for r in rows if r["label"] == "GetUser"]
    assert user_rows and all(r["responseCode"] == "200" for r in user_rows)


def test_egas88_regex_ids_cookies_and_transactions(tmp_path: Path, tls_site: ImitationServer) -> None:
    write(tmp_path, "Choices.csv", "pizza\nrolls\n")
    write(tmp_path, "Search_params.csv", "Пицца\n")
    done, rows = run_fixture(tmp_path, "egas88-sber.jmx", [f"dostaevsky.ru:443:127.0.0.1:{tls_site.port}"],
                             "-d", "4s")  # fmt: skip
    assert done.returncode == 0, done.stderr
    labels = Counter(r["label"] for r in rows)
    # The item id came from a regex on the category page, the basket call needs it and the cookie.
    baskets = [r for r in rows if r["label"] == "Добавить товар в коризну"]
    assert baskets and all(r["responseCode"] == "200" for r in baskets)
    assert labels["Вход"] >= 2 and labels["Use Case № 2"] >= 0  # transactions of both groups
    entry = next(r for r in rows if r["label"] == "Вход")
    assert entry["responseMessage"].startswith("Number of samples in transaction : 1,")
    assert {r["threadName"].rsplit(" ", 1)[1].split("-")[0] for r in rows} == {"1", "2"}  # both groups ran


def test_anashuhada_throughput_controllers_share_their_counts(tmp_path: Path, site: ImitationServer) -> None:
    done, rows = run_fixture(
        tmp_path, "anashuhada-throughput.jmx", [f"demo.opencart.com:80:127.0.0.1:{site.port}"]
    )
    assert done.returncode == 0, done.stderr
    # 10 iterations in all; JMeter's rule (100 * runs + 50) / (iterations + 1) < percent, counted
    # over all users: 20 % runs 2 times, 30 % 3 times, 50 % 5 times.
    assert Counter(r["label"] for r in rows) == {"HomePage": 2, "LoginPage": 3, "RegisterPage": 5}


def test_vtomar_if_controller_and_denysmnv_assertions(tmp_path: Path, tls_site: ImitationServer) -> None:
    port = tls_site.port
    done, rows = run_fixture(tmp_path, "vtomar-ifcontroller.jmx", [f"www.github.com:443:127.0.0.1:{port}",
                             f"www.simplilearn.com:443:127.0.0.1:{tls_site.port}"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [r["label"] for r in rows] == ["HTTP Request 1", "HTTP Request 2"]
    done, rows = run_fixture(tmp_path, "denysmnv-nopcommerce.jmx",
                             [f"demo.nopcommerce.com:443:127.0.0.1:{tls_site.port}"], "--force")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(rows) == 7 and all(r["success"] == "true" for r in rows), rows


def test_refused_plan_names_each_element_and_exits_2(tmp_path: Path) -> None:
    done = surge("run", "-f", PLANS / "webtours-wt.jmx", "-o", tmp_path / "r.jtl")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    refused = [line for line in done.stderr.splitlines() if line.startswith("surge run: refused:")]
    assert len(refused) == 4
    assert sum("UltimateThreadGroup" in line for line in refused) == 3
    assert any("JSR223PreProcessor 'departDate, returnDate'" in line for line in refused)
    assert not (tmp_path / "r.jtl").exists()


def test_dry_run_json(tmp_path: Path) -> None:
    done = surge(
        "run", "-f", PLANS / "surge-shop.jmx", "--dry-run", "--json", "-J", "host=127.0.0.2", "-J", "port=9"
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    (group,) = document["groups"]
    assert (group["name"], group["users"], group["iterations"]) == ("Shoppers", 2, 10)
    assert group["requests"][0] == {"label": "login", "method": "POST", "url": "http://127.0.0.2:9/login"}
    assert document["unsupported"] == [
        {"testclass": "ResultCollector", "name": "View Results Tree", "action": "ignore"}
    ]
    done = surge("run", "-f", PLANS / "srinivas-learn.jmx", "--dry-run", "--json")
    assert done.returncode == 2  # refused: listed, and said so by the exit code
    assert {u["action"] for u in json.loads(done.stdout)["unsupported"]} == {"ignore", "refuse"}


def test_property_file_and_j(tmp_path: Path) -> None:
    props = tmp_path / "local.properties"
    props.write_text("# local copy\nhost = 10.0.0.1\nport: 8000\n")
    done = surge(
        "run", "-f", PLANS / "surge-shop.jmx", "--dry-run", "--property-file", props, "-J", "port=8001"
    )
    assert done.returncode == 0, done.stderr
    assert "POST http://10.0.0.1:8001/login" in done.stdout
