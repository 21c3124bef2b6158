"""Ramp-up times, user split over processes and think times (pure functions)."""

from __future__ import annotations

import random

import pytest

from surge.engine.schedule import (
    assign_users,
    effective_processes,
    ramp_up_offsets_s,
    think_time_s,
)
from surge.plan import LoadModel, Plan, Request, ThinkTime, UserGroup


def test_ramp_up_spreads_users_evenly_like_jmeter() -> None:
    # JMeter: 4 threads over 10 s start at 0, 2.5, 5 and 7.5 s.
    assert ramp_up_offsets_s(4, 10.0) == [0.0, 2.5, 5.0, 7.5]


def test_no_ramp_up_starts_everyone_at_once() -> None:
    assert ramp_up_offsets_s(3, 0.0) == [0.0, 0.0, 0.0]


def test_zero_users_have_no_offsets() -> None:
    assert ramp_up_offsets_s(0, 5.0) == []


def _plan(users: int, ramp_up_s: float = 0.0) -> Plan:
    load = LoadModel(users=users, ramp_up_s=ramp_up_s, iterations=1)
    return Plan(groups=(UserGroup(requests=(Request("http://127.0.0.1/"),), load=load),))


def test_users_are_split_round_robin_so_each_process_ramps_evenly() -> None:
    slots = assign_users(_plan(5, ramp_up_s=5.0), 2)
    assert [(s.user_number, s.start_offset_s) for s in slots[0]] == [(1, 0.0), (3, 2.0), (5, 4.0)]
    assert [(s.user_number, s.start_offset_s) for s in slots[1]] == [(2, 1.0), (4, 3.0)]
    assert all(s.group_index == 0 for part in slots for s in part)


def test_every_user_is_assigned_exactly_once() -> None:
    slots = assign_users(_plan(7), 3)
    numbers = sorted(s.user_number for part in slots for s in part)
    assert numbers == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("requested", "users", "cores", "expected"),
    [(None, 10, 4, 4), (None, 2, 4, 2), (8, 100, 2, 8), (3, 1, 2, 1)],
)
def test_effective_processes(requested: int | None, users: int, cores: int, expected: int) -> None:
    assert effective_processes(requested, users, cores) == expected


def test_fixed_think_time() -> None:
    assert think_time_s(ThinkTime(0.2, 0.2), random.Random(1)) == 0.2


def test_think_time_range_stays_inside_bounds() -> None:
    rng = random.Random(7)
    values = [think_time_s(ThinkTime(0.1, 0.5), rng) for _ in range(1000)]
    assert min(values) >= 0.1
    assert max(values) <= 0.5
    assert max(values) - min(values) > 0.3  # spread over the range, not a constant
