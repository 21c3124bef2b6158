"""surge tune with a scenario file (-f) and with Python users (-s): the served app is their base
URL; an arrival-rate file is tuned in requests per second, users in users (the closed model)."""

from __future__ import annotations

import json

import pytest
from tune_harness import TuneHarness

pytestmark = pytest.mark.slow

RATE_PLAN = """
base_url = "http://127.0.0.1:1"   # replaced by the served app's address

[requests.hello]
url = "/"

[requests.health]
url = "/health"

[[groups]]
rate = 50
duration = "10s"
journey = ["hello", "health"]
"""

USERS = """
async def user(session):
    r = await session.get("/io?ms=10", label="io")
    session.check(r.status == 200, "not 200")
"""


def test_scenario_file_at_an_arrival_rate(tune: TuneHarness) -> None:
    (tune.folder / "plan.toml").write_text(RATE_PLAN)
    result = tune.run(
        "tune", "surge.demo:app", "-f", "plan.toml", "--modes", "gevent", "--workers", "1",
        "--worker-connections", "1000", "--repeats", "1", "--budget", "15s", "--json", "tune.json",
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    document = json.loads((tune.folder / "tune.json").read_text())
    assert document["load"] == {"source": "scenario file plan.toml", "model": "open", "level_unit": "req/s"}
    assert document["recommendation"]["max_rps"] > 0
    assert tune.leftovers() == []


def test_python_users_are_tuned_in_users(tune: TuneHarness) -> None:
    (tune.folder / "users.py").write_text(USERS)
    result = tune.run(
        "tune", "surge.demo:app", "-s", "users.py", "--modes", "gthread", "--workers", "1",
        "--threads", "4", "--repeats", "1", "--budget", "15s", "--json", "tune.json",
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    header = next(line for line in result.stdout.splitlines() if line.startswith("#  MODE"))
    assert "MAX REQ/S" in header and header.split()[-2] == "USERS"
    document = json.loads((tune.folder / "tune.json").read_text())
    assert document["load"]["model"] == "closed" and document["load"]["level_unit"] == "users"
    chosen = document["recommendation"]
    assert chosen["mode"] == "gthread" and chosen["max_rps"] > 0
    trials = [t for c in document["candidates"] for m in c["measurements"] for t in m["trials"]]
    assert all(float(t["level"]).is_integer() for t in trials)
    assert tune.leftovers() == []
