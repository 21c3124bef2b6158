"""CSV feeders: sequential, random and unique rows per process; recycle or stop when exhausted."""

from __future__ import annotations

import random

from surge.scenario.flow import FeederState
from surge.scenario.model import Feeder

ROWS = tuple((f"u{i}", f"p{i}") for i in range(7))


def feeder(mode: str, on_exhausted: str = "recycle") -> Feeder:
    return Feeder("accounts", "accounts.csv", ("user", "password"), ROWS, mode, on_exhausted)


def drain(state: FeederState, limit: int = 100) -> list[str]:
    out = []
    for _ in range(limit):
        row = state.next_row()
        if row is None:
            break
        out.append(row["user"])
    return out


def test_unique_rows_are_split_between_processes_and_each_used_once() -> None:
    states = [FeederState(feeder("unique", "stop"), i, 3, random.Random(i)) for i in range(3)]
    taken = [drain(s) for s in states]
    assert taken == [["u0", "u3", "u6"], ["u1", "u4"], ["u2", "u5"]]
    everything = [user for share in taken for user in share]
    assert sorted(everything) == sorted(user for user, _ in ROWS)  # every row exactly once


def test_unique_recycle_starts_over_within_the_process_share() -> None:
    state = FeederState(feeder("unique", "recycle"), 1, 3, random.Random(0))
    assert drain(state, 5) == ["u1", "u4", "u1", "u4", "u1"]


def test_sequential_walks_all_rows_from_a_per_process_offset() -> None:
    first = FeederState(feeder("sequential", "stop"), 0, 2, random.Random(0))
    second = FeederState(feeder("sequential", "stop"), 1, 2, random.Random(0))
    assert drain(first) == [f"u{i}" for i in range(7)]
    assert drain(second) == ["u3", "u4", "u5", "u6", "u0", "u1", "u2"]
    recycled = FeederState(feeder("sequential"), 0, 1, random.Random(0))
    assert drain(recycled, 9) == [f"u{i}" for i in range(7)] + ["u0", "u1"]


def test_random_rows_are_never_exhausted() -> None:
    state = FeederState(feeder("random", "stop"), 0, 1, random.Random(3))
    taken = drain(state, 50)
    assert len(taken) == 50 and set(taken) <= {user for user, _ in ROWS} and len(set(taken)) > 3
