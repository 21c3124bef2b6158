"""Messages between the runner and its workers: frozen dataclasses, each handled by its own method.

A worker sends ``Ready`` once built, then, after ``Start``, a ``Tick`` every second and, at the
end, ``Done`` with its ``WorkerResult``; ``WriteFailed`` when its part file cannot be written. The
runner sends ``Start`` or ``Stop``; a closed pipe counts as ``Stop``. They travel over a process
pipe, so they are plain picklable data.
The runner dispatches on the type (``handle_tick``, ``handle_done``...), as gunicorn's arbiter
dispatches signals to ``handle_<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from surge.engine.summary import LabelTotals


@dataclass(frozen=True)
class WorkerResult:
    """What one worker produced, sent once at the end."""

    label_totals: tuple[LabelTotals, ...]
    rows_written: int
    cpu_s: float
    interrupted: bool
    arrivals: int = 0  # open model: arrivals due in this process, of which late, and late and unsent
    late_arrivals: int = 0
    unsent_arrivals: int = 0
    max_queue_ms: int = 0  # longest wait of an open-model arrival for a connection
    # Requests still waiting when the run ended (after the graceful stop, or at once when
    # interrupted), recorded as failed RunEnded samples.
    waiting_at_end: int = 0
    rows_lost: int = 0  # recorded but not written: the part file could not be written (disk full)


@dataclass(frozen=True)
class LabelSecond:
    """One label's figures of one second, for live threshold checks (``--abort-on-fail``)."""

    label: str
    samples: int
    errors: int
    max_us: int  # over the run so far
    histogram: bytes  # encoded HDR histogram of the second's elapsed times, µs


# -- worker to runner ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """The worker is built and waits for ``Start`` (its index: messages share a queue in cluster mode)."""

    worker_index: int = -1


@dataclass(frozen=True)
class Tick:
    """The second that just ended, in one worker."""

    worker_index: int
    second: int  # 1 for the first second after t0
    samples: int
    errors: int
    active_users: int
    histogram: bytes  # encoded HDR histogram of the second's elapsed times, µs
    labels: tuple[LabelSecond, ...] | None  # per label, only when live thresholds need them
    waiting_at_end: int  # requests recorded as still waiting when the run ended, in this second
    cpu_s: float = 0.0  # this worker's CPU (user + system) in the second: the generator's health


@dataclass(frozen=True)
class Rows:
    """JTL rows (whole lines, UTF-8) a worker without a part file recorded since its last ``Rows``."""

    worker_index: int
    data: bytes
    count: int


@dataclass(frozen=True)
class WriteFailed:
    """The worker's part file could not be written (disk full): it stops, and so should the run."""

    worker_index: int
    reason: str


@dataclass(frozen=True)
class Done:
    """The worker has finished; its part file is closed (its rows all sent, in cluster mode)."""

    result: WorkerResult
    worker_index: int = -1


# -- runner to worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """Start the users at ``t0_epoch_ns`` (plus their ramp-up offsets)."""

    t0_epoch_ns: int


@dataclass(frozen=True)
class Stop:
    """Stop now: requests still waiting are recorded, the part file is closed, ``Done`` follows."""


WorkerMessage = Ready | Tick | Rows | WriteFailed | Done
RunnerMessage = Start | Stop
