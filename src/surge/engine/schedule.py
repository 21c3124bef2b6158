"""Pure scheduling: when each user starts, which process runs it, and how long it thinks.

No clocks and no I/O here: times are offsets in seconds from the run's start (t0), so the
worker turns them into event-loop deadlines and tests check them exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from surge.plan import Plan, Stage, ThinkTime


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
        if group.load.is_open:
            continue  # arrivals, not users: every process takes its share (see arrival_offsets_s)
        delay_s = group.load.start_delay_s
        offsets = [delay_s + offset for offset in ramp_up_offsets_s(group.load.users, group.load.ramp_up_s)]
        for number, offset_s in enumerate(offsets, start=1):
            per_process[position % processes].append(UserSlot(group_index, number, offset_s))
            position += 1
    return per_process


def think_time_s(think: ThinkTime, rng: random.Random) -> float:
    """One pause drawn from ``think``: fixed, or uniform over its range."""
    if think.stddev_s:
        return max(0.0, rng.gauss(think.min_s, think.stddev_s))
    if think.min_s == think.max_s:
        return think.min_s
    return rng.uniform(think.min_s, think.max_s)


def arrival_offsets_s(
    start_rate_per_s: float, stages: Sequence[Stage], first: int = 0, step: int = 1
) -> Iterator[float]:
    """Intended send times (offsets from t0) of arrivals ``first``, ``first + step``, ... of an open run.

    The rate starts at ``start_rate_per_s`` and moves linearly to each stage's target over the
    stage's duration (k6's ramping-arrival-rate). Arrival k (0-based) is sent when the expected
    number of arrivals so far, the integral of the rate, reaches k: arrivals are evenly spaced at a
    constant rate (the first at t0) and the count over any stretch is exact whatever the rate.
    Process i of P takes ``first=i, step=P``: together they send every arrival exactly once.
    """
    k = first
    segment_start_s = 0.0
    done_before = 0.0  # arrivals expected before the segment (the integral so far)
    r0 = start_rate_per_s
    for stage in stages:
        r1 = stage.target_per_s
        d = stage.duration_s
        in_segment = (r0 + r1) * d / 2.0
        a = (r1 - r0) / (2.0 * d)
        while k < done_before + in_segment:
            n = k - done_before
            # Solve r0*t + a*t^2 = n for t in [0, d] in the form that is stable for a ~ 0 and a < 0.
            t = 2.0 * n / (r0 + math.sqrt(max(0.0, r0 * r0 + 4.0 * a * n))) if n > 0 else 0.0
            yield segment_start_s + min(t, d)
            k += step
        segment_start_s += d
        done_before += in_segment
        r0 = r1


def expected_arrivals(start_rate_per_s: float, stages: Sequence[Stage]) -> float:
    """How many arrivals the whole run intends to send (the integral of the rate)."""
    total = 0.0
    r0 = start_rate_per_s
    for stage in stages:
        total += (r0 + stage.target_per_s) * stage.duration_s / 2.0
        r0 = stage.target_per_s
    return total
