"""Open-model arrival times, stages and gaussian think times (pure functions)."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from surge.engine.schedule import arrival_offsets_s, expected_arrivals, think_time_s
from surge.errors import UsageError
from surge.plan import LoadModel, Plan, Request, Stage, ThinkTime, UserGroup, parse_stages


def test_constant_rate_is_evenly_spaced_from_t0() -> None:
    assert list(arrival_offsets_s(4.0, [Stage(1.0, 4.0)])) == [0.0, 0.25, 0.5, 0.75]


def test_processes_take_every_pth_arrival_and_together_send_all() -> None:
    stages = [Stage(2.0, 10.0), Stage(3.0, 40.0)]
    whole = list(arrival_offsets_s(10.0, stages))
    shares = [list(arrival_offsets_s(10.0, stages, first=i, step=3)) for i in range(3)]
    assert sorted(t for share in shares for t in share) == whole
    assert shares[1] == whole[1::3]


def test_linear_ramp_matches_the_integral_of_the_rate() -> None:
    # 0 -> 100/s over 10 s: 500 arrivals; half of them in the last 2.93 s (t = 10/sqrt(2)).
    times = list(arrival_offsets_s(0.0, [Stage(10.0, 100.0)]))
    assert len(times) == 500 == expected_arrivals(0.0, [Stage(10.0, 100.0)])
    assert times == sorted(times) and times[-1] <= 10.0
    assert times[250] == pytest.approx(10.0 / 2**0.5, abs=1e-9)
    # Each arrival k is at the time when the expected count reaches k: k = 5 t^2.
    for k in (1, 37, 499):
        assert 5.0 * times[k] ** 2 == pytest.approx(k)


def test_ramp_down_and_stages_like_k6() -> None:
    # k6 ramping-arrival-rate: startRate 100, then 30s -> 100, 1m -> 500: 3000 + 18000 arrivals.
    times = list(arrival_offsets_s(100.0, parse_stages("30s:100,1m:500")))
    assert len(times) == 21000
    down = list(arrival_offsets_s(50.0, [Stage(4.0, 0.0)]))  # 50 -> 0 over 4 s: 100 arrivals
    assert len(down) == 100 and all(0 <= a < b <= 4.0 for a, b in itertools.pairwise(down))


def test_parse_stages_and_errors() -> None:
    assert parse_stages("30s:100, 1m:500") == (Stage(30.0, 100.0), Stage(60.0, 500.0))
    for bad in ("30s", "30s:fast", "0s:10", "10s:-1"):
        with pytest.raises(UsageError):
            parse_stages(bad)


def test_open_load_model() -> None:
    load = LoadModel(rate_per_s=10.0, duration_s=5.0)
    assert load.is_open and load.planned_stages == (Stage(5.0, 10.0),)
    staged = LoadModel(stages=parse_stages("10s:50,5s:0"))
    assert staged.duration_s == 15.0 and staged.rate_per_s == 0.0
    with pytest.raises(UsageError, match="duration"):
        LoadModel(rate_per_s=10.0, stages=parse_stages("10s:50"), duration_s=3.0)
    with pytest.raises(UsageError, match="iterations"):
        LoadModel(rate_per_s=10.0, duration_s=5.0, iterations=3)
    with pytest.raises(UsageError, match="zero"):
        LoadModel(rate_per_s=0.0, duration_s=5.0)
    with pytest.raises(UsageError, match="in flight"):
        LoadModel(rate_per_s=1.0, duration_s=5.0, max_in_flight=0)


def test_open_and_closed_groups_do_not_mix() -> None:
    request = (Request("http://127.0.0.1/"),)
    with pytest.raises(UsageError, match="all"):
        Plan(
            groups=(
                UserGroup(request, LoadModel(users=2, duration_s=1.0), name="a"),
                UserGroup(request, LoadModel(rate_per_s=5.0, duration_s=1.0), name="b"),
            )
        )


def test_gaussian_think_time() -> None:
    rng = random.Random(7)
    think = ThinkTime.gaussian(1.0, 0.2)
    draws = [think_time_s(think, rng) for _ in range(4000)]
    assert statistics.mean(draws) == pytest.approx(1.0, abs=0.02)
    assert statistics.stdev(draws) == pytest.approx(0.2, abs=0.02)
    clamped = [think_time_s(ThinkTime.gaussian(0.01, 1.0), rng) for _ in range(200)]
    assert min(clamped) == 0.0
    with pytest.raises(UsageError):
        ThinkTime(0.1, 0.2, stddev_s=0.1)
