"""Candidates and their grid, the core split, the SLO and the trial plans (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.errors import UsageError
from surge.tune.candidates import (
    Candidate,
    Space,
    default_max_workers,
    parse_int_list,
    parse_modes,
    reference_candidate,
)
from surge.tune.cores import CoreClock, CoreSplit, foreign_share, split_cores
from surge.tune.load import LoadSource, RequestSpec, path_requests, prepare_load
from surge.tune.session import parse_slo
from surge.tune.trial import latency_limit_s, slo_ratio
from surge.verdict.thresholds import evaluate, parse_thresholds

BASE = "http://127.0.0.1:8123"


def test_grid_covers_every_family_and_worker_count() -> None:
    space = Space(
        modes=("sync", "gthread", "gevent"), workers=(1, 2), threads=(4, 16), worker_connections=(1000,)
    )
    grid = space.grid()
    assert len(grid) == (1 + 2 + 1) * 2
    assert Candidate("gthread", 2, threads=16) in grid
    assert all(c.threads is None for c in grid if c.mode != "gthread")
    assert Space(modes=("sync",), workers=(1,), dev_server=True).grid()[-1] == reference_candidate()


def test_keys_labels_and_the_exact_serve_command() -> None:
    c = Candidate("gevent", 2, worker_connections=1000)
    assert c.key == "gevent-w2-c1000"
    assert c.label == "gevent, 2 workers x 1000 connections"
    assert c.serve_command("surge.demo:app") == (
        "surge serve surge.demo:app --mode gevent --workers 2 --worker-connections 1000"
    )
    assert Candidate("gthread", 1, threads=4).serve_command("my app:app") == (
        "surge serve 'my app:app' --mode gthread --workers 1 --threads 4"
    )
    assert reference_candidate().key == "flask-dev-server" and reference_candidate().reference


def test_cost_prefers_fewer_workers_then_the_simpler_mode() -> None:
    ordered = sorted(
        [
            Candidate("gevent", 1, worker_connections=1000),
            Candidate("sync", 2),
            Candidate("gthread", 1, threads=16),
            Candidate("sync", 1),
            Candidate("gthread", 1, threads=4),
            Candidate("gevent", 1, worker_connections=100),
        ],
        key=Candidate.cost,
    )
    assert [c.key for c in ordered] == [
        "sync-w1",
        "gthread-w1-t4",
        "gthread-w1-t16",
        "gevent-w1-c1000",
        "gevent-w1-c100",
        "sync-w2",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"modes": ("sync", "fast")}, "unknown mode 'fast'"),
        ({"modes": ("flask-threaded",)}, "--dev-server"),
        ({"workers": (0, 1)}, "--workers values must be at least 1"),
        ({"threads": ()}, "--threads names no value"),
    ],
)
def test_space_refuses_bad_input(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"modes": ("sync",), "workers": (1,)} | kwargs
    with pytest.raises(UsageError, match=message):
        Space(**values)  # type: ignore[arg-type]


def test_lists_and_modes_parse() -> None:
    assert parse_int_list("16, 4,4", "--threads") == (4, 16)
    assert parse_modes("gevent,sync,gevent") == ("gevent", "sync")
    with pytest.raises(UsageError, match="invalid --threads"):
        parse_int_list("4,x", "--threads")
    with pytest.raises(UsageError):
        parse_modes(" , ")
    assert default_max_workers(1) == 3 and default_max_workers(4) == 9


def test_cores_split_keeps_the_generator_apart() -> None:
    assert split_cores((0, 1)) == CoreSplit(server=(0,), generator=(1,))
    assert split_cores((0, 1, 2, 3, 4, 5, 6, 7)) == CoreSplit(server=(0, 1, 2, 3, 4, 5), generator=(6, 7))
    assert split_cores((0, 1, 2, 3), generator_cores=2).server == (0, 1)
    single = split_cores((3,))
    assert single.shared and single.server == single.generator == (3,)
    with pytest.raises(UsageError, match="--generator-cores must be 1 to 1"):
        split_cores((0, 1), generator_cores=2)


def test_foreign_share_is_what_others_used_on_our_cores() -> None:
    split = CoreSplit(server=(0,), generator=(1,))
    start = CoreClock(at_s=0.0, busy_s=(10.0, 20.0), own_cpu_s=1.0)
    # 2 s: core 0 busy 1.5 s of which the server 0.5 s; core 1 busy 0.4 s, all ours.
    end = CoreClock(at_s=2.0, busy_s=(11.5, 20.4), own_cpu_s=1.4)
    assert foreign_share(start, end, split, server_cpu_s=0.5) == pytest.approx(0.5)
    end_quiet = CoreClock(at_s=2.0, busy_s=(10.5, 20.4), own_cpu_s=1.4)
    assert foreign_share(start, end_quiet, split, server_cpu_s=0.5) == pytest.approx(0.0)


def test_slo_defaults_and_error_rate_added() -> None:
    assert [t.text for t in parse_slo((), ())] == ["p99<500ms", "error_rate<1%"]
    assert [t.text for t in parse_slo(("p95<200ms",), ())] == ["p95<200ms", "error_rate<1%"]
    assert [t.text for t in parse_slo(("p99<1s", "error_rate<5%"), ())] == ["p99<1s", "error_rate<5%"]
    file_slo = parse_thresholds(["max<2s"])
    assert [t.text for t in parse_slo((), file_slo)] == ["max<2s", "error_rate<1%"]
    with pytest.raises(UsageError, match="rps"):
        parse_slo(("rps>100",), ())
    with pytest.raises(UsageError, match="invalid threshold"):
        parse_slo(("p99 lower than 5",), ())


def test_latency_limit_and_slo_ratio() -> None:
    slo = parse_thresholds(["p99<500ms", "GET /:p95<2s", "error_rate<1%"])
    assert latency_limit_s(slo) == 2.0
    assert latency_limit_s(parse_thresholds(["error_rate<1%"])) == 1.0
    from surge.engine.summary import LabelSummary

    total = LabelSummary("TOTAL", 100, 2, 2.0, 10, 1, 5, 8, 9, 750.0, 900, 50, 0, 0)
    assert slo_ratio(evaluate(parse_thresholds(["p99<500ms", "error_rate<1%"]), (), total)) == pytest.approx(
        2.0
    )


def test_paths_become_an_open_plan_at_the_trial_rate() -> None:
    load = prepare_load(LoadSource(requests=path_requests(("/io?ms=50", "/"))))
    assert not load.closed and load.level_unit == "req/s"
    plan = load.plan(BASE, 300.0, 2.0, max_in_flight=400, graceful_stop_s=1.5)
    (group,) = plan.groups
    assert [r.url for r in group.requests] == [f"{BASE}/io?ms=50", f"{BASE}/"]
    assert group.load.rate_per_s == 300.0 and group.load.duration_s == 2.0
    assert group.load.max_in_flight == 400 and plan.graceful_stop_s == 1.5
    assert load.probe_url(BASE) == f"{BASE}/io?ms=50"


@pytest.mark.parametrize("bad", ["io", "http://x/", "/a b"])
def test_paths_must_be_paths(bad: str) -> None:
    with pytest.raises(UsageError, match="invalid --path"):
        path_requests((bad,))


def test_load_source_is_exactly_one_thing() -> None:
    with pytest.raises(UsageError, match="one of them"):
        LoadSource()
    with pytest.raises(UsageError, match="one of them"):
        LoadSource(requests=(RequestSpec("/"),), script=Path("x.py"))


PLAN_FILE = """
base_url = "http://example.invalid:1"

[requests.home]
url = "/"

[requests.io]
url = "/io?ms=20"

[[groups]]
name = "a"
rate = 30
duration = "10s"
journey = ["home"]

[[groups]]
name = "b"
rate = 10
duration = "10s"
journey = ["io"]
"""


def test_plan_file_points_at_the_served_app_and_keeps_its_rate_shares(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN_FILE)
    load = prepare_load(LoadSource(plan_file=path))
    assert not load.closed
    plan = load.plan(BASE, 100.0, 2.0, max_in_flight=100, graceful_stop_s=1.0)
    rates = {g.name: g.load.rate_per_s for g in plan.groups}
    assert rates == {"a": pytest.approx(75.0), "b": pytest.approx(25.0)}
    assert plan.groups[0].requests[0].url == f"{BASE}/"


def test_plan_file_with_users_is_a_closed_load_and_absolute_urls_elsewhere_are_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "users.toml"
    path.write_text('base_url = "http://127.0.0.1:1"\n[requests.home]\nurl = "/"\n')
    with path.open("a") as file:
        file.write('[[groups]]\nusers = 3\nduration = "5s"\n')
    load = prepare_load(LoadSource(plan_file=path))
    assert load.closed and load.level_unit == "users"
    plan = load.plan(BASE, 8, 2.0, max_in_flight=100, graceful_stop_s=1.0)
    assert plan.groups[0].load.users == 8
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[requests.x]\nurl = "http://example.com/"\n[[groups]]\nrate = 5\nduration = "2s"\n')
    with pytest.raises(UsageError, match="loads only the app it serves"):
        prepare_load(LoadSource(plan_file=elsewhere))


def test_python_users_are_a_closed_load(tmp_path: Path) -> None:
    script = tmp_path / "users.py"
    script.write_text("async def user(session):\n    await session.get('/')\n")
    load = prepare_load(LoadSource(script=script))
    assert load.closed
    plan = load.plan(BASE, 5, 2.0, max_in_flight=10, graceful_stop_s=1.0)
    assert plan.groups[0].load.users == 5
    assert load.probe_url(BASE) == f"{BASE}/"
