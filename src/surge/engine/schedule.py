"""Pure scheduling: when each user starts, which process runs it, and how long it thinks.

No clocks and no I/O here: times are offsets in seconds from the run's start (t0), so the
worker turns them into event-loop deadlines and tests check them exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from surge.plan import Plan, ThinkTime


@dataclass(frozen=True)
class UserSlot:
    """One virtual user: its group (0-based index into plan.groups), number and start offset."""

    group_index: int
    user_number: int  # 1-based within its group, as in JMeter's "Thread Group 1-7"
    start_offset_s: float


def ramp_up_offsets_s(users: int, ramp_up_s: float) -> list[float]:
    """Start offsets of ``users`` users spread evenly over ``ramp_up_s``: user i at i * ramp_up_s / users.

    This is JMeter's thread-group rule: the first user starts at 0 and the last one a step before
    the end of the ramp-up, so every user is running once the ramp-up is over.
    """
    if users <= 0:
        return []
    step_s = ramp_up_s / users
    return [i * step_s for i in range(users)]


def effective_processes(requested: int | None, total_users: int, cores: int) -> int:
    """Number of worker processes: the request (default one per core), never more than the users."""
    wanted = cores if requested is None else requested
    return max(1, min(wanted, total_users))


def assign_users(plan: Plan, processes: int) -> list[list[UserSlot]]:
    """Split every group's users over ``processes`` round-robin, so each process ramps up evenly."""
    per_process: list[list[UserSlot]] = [[] for _ in range(processes)]
    position = 0
    for group_index, group in enumerate(plan.groups):
        offsets = ramp_up_offsets_s(group.load.users, group.load.ramp_up_s)
        for number, offset_s in enumerate(offsets, start=1):
            per_process[position % processes].append(UserSlot(group_index, number, offset_s))
            position += 1
    return per_process


def think_time_s(think: ThinkTime, rng: random.Random) -> float:
    """One pause drawn from ``think``: fixed, or uniform over its range."""
    if think.min_s == think.max_s:
        return think.min_s
    return rng.uniform(think.min_s, think.max_s)
