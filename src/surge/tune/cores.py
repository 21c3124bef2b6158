"""Which cores the server gets and which the load generator gets (CPU affinity), and pinning to them.

On one machine the generator and the server compete for the CPU; kept on separate cores, neither
one's work shows up in the other's figures. The generator's processes are forked from the calling
process and inherit its affinity, and so does the server started while the caller is pinned to
the server's cores.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

from surge.errors import UsageError


@dataclass(frozen=True)
class CoreSplit:
    """The cores of the server and of the generator; ``shared`` when they could not be separated."""

    server: tuple[int, ...]
    generator: tuple[int, ...]

    @property
    def shared(self) -> bool:
        return set(self.server) == set(self.generator)

    @property
    def server_cores(self) -> int:
        return len(self.server)

    def describe(self) -> str:
        if self.shared:
            return f"server and load generator share {_cores_text(self.server)} (no core to spare)"
        return f"server on {_cores_text(self.server)}, load generator on {_cores_text(self.generator)}"


def _cores_text(cores: tuple[int, ...]) -> str:
    noun = "core" if len(cores) == 1 else "cores"
    return f"{noun} {','.join(str(c) for c in cores)}"


def available_cores() -> tuple[int, ...]:
    """The cores this process may run on (its affinity), in order."""
    if hasattr(os, "sched_getaffinity"):
        return tuple(sorted(os.sched_getaffinity(0)))
    return tuple(range(os.cpu_count() or 1))


def default_generator_cores(total: int) -> int:
    """One core for the generator up to 4 cores, a quarter of them above: the server gets the most."""
    return max(1, total // 4)


def split_cores(cores: tuple[int, ...], generator_cores: int | None = None) -> CoreSplit:
    """The last ``generator_cores`` cores for the generator, the others for the server.

    With a single core (or no affinity support) both share it, and ``CoreSplit.shared`` says so.
    """
    if len(cores) < 2 or not hasattr(os, "sched_setaffinity"):
        if generator_cores not in (None, len(cores)):
            raise UsageError(f"--generator-cores {generator_cores}: this machine gives surge only 1 core")
        return CoreSplit(cores, cores)
    wanted = default_generator_cores(len(cores)) if generator_cores is None else generator_cores
    if not 1 <= wanted < len(cores):
        raise UsageError(
            f"--generator-cores must be 1 to {len(cores) - 1} (surge may use {len(cores)} cores"
            " and the server needs at least one)"
        )
    return CoreSplit(server=cores[:-wanted], generator=cores[-wanted:])


@contextlib.contextmanager
def pinned(cores: tuple[int, ...]) -> Iterator[None]:
    """Run the calling thread (and what it forks meanwhile) on ``cores``; restore its affinity after."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin_tree(root_pid: int, cores: tuple[int, ...]) -> None:
    """Pin a running process and its descendants to ``cores`` (the ones that have exited are skipped)."""
    try:
        root = psutil.Process(root_pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in members:
        with contextlib.suppress(psutil.Error, OSError):
            process.cpu_affinity(list(cores))


@dataclass(frozen=True)
class CoreClock:
    """Busy time of every core and this process's CPU (with its reaped children), at one moment."""

    at_s: float
    busy_s: tuple[float, ...]  # per core number: time not idle since boot
    own_cpu_s: float  # this process and its reaped children (the load generator's workers)


def core_clock() -> CoreClock:
    per_core = psutil.cpu_times(percpu=True)
    busy = tuple(sum(t) - t.idle - getattr(t, "iowait", 0.0) for t in per_core)
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return CoreClock(time.monotonic(), busy, own)


def foreign_share(start: CoreClock, end: CoreClock, split: CoreSplit, server_cpu_s: float) -> float:
    """How much of the tune's cores other programs used between two clocks (0.0-1.0, the worse side).

    On the server's cores, everything but the server's processes is foreign; on the generator's,
    everything but this process and its workers. Work of other programs there slows the server
    or delays the load, and a failed trial then says more about them than about the candidate.
    """
    span_s = end.at_s - start.at_s
    if span_s <= 0:
        return 0.0

    def busy(cores: tuple[int, ...]) -> float:
        return sum(
            end.busy_s[c] - start.busy_s[c] for c in cores if c < min(len(start.busy_s), len(end.busy_s))
        )

    own_s = end.own_cpu_s - start.own_cpu_s
    if split.shared:
        return max(0.0, busy(split.server) - server_cpu_s - own_s) / (span_s * len(split.server))
    server_side = max(0.0, busy(split.server) - server_cpu_s) / (span_s * len(split.server))
    generator_side = max(0.0, busy(split.generator) - own_s) / (span_s * len(split.generator))
    return min(1.0, max(server_side, generator_side))
