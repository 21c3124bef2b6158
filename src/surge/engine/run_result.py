"""What a run reports: ``Progress`` once a second, ``RunResult`` at the end, and the abort check.

Plain data, shared by the runner (which fills them) and by whoever shows or judges a run (the
command line, the demo). The check that may end a run early
(``--abort-on-fail``) is handed to the runner from above as an ``AbortCheck``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from surge.engine.summary import LabelSummary
from surge.plan import Threshold


@dataclass(frozen=True)
class LostWorker:
    """A cluster worker lost during a run: which, how, when, and how many samples it had delivered."""

    name: str  # "cluster worker 2 (tcp://10.0.0.5:40331)"
    how: str  # "left the cluster", "failed (...)"
    after_s: float  # run time when it was noticed
    delivered: int  # its samples in the results file

    def describe(self) -> str:
        return f"{self.name} {self.how} after {self.after_s:.1f} s, having delivered {self.delivered} samples"


class AbortReason(Protocol):
    """Why a run was ended early: the threshold that failed for good, and its figures."""

    @property
    def threshold(self) -> Threshold: ...
    @property
    def reason(self) -> str: ...


class LabelSink(Protocol):
    """Told each second's per-label figures (live thresholds: ``surge.verdict.live``)."""

    def add(self, label: str, samples: int, errors: int, max_us: int, encoded_histogram: bytes) -> None: ...


class AbortCheck(LabelSink, Protocol):
    """A ``LabelSink`` that says when the run must end (``--abort-on-fail``)."""

    def failed(self, elapsed_s: float) -> AbortReason | None: ...


@dataclass(frozen=True)
class LabelLive:
    """One label in the live view: its figures over the last ``LIVE_WINDOW_S`` seconds."""

    label: str
    rate_per_s: float
    errors: int
    p95_ms: float


@dataclass(frozen=True)
class Progress:
    """One second of the run, merged over all workers (what the live line shows)."""

    second: int  # 1 for the first second after t0
    elapsed_s: float
    total_s: float | None  # planned duration; None for an iterations-only run
    active_users: int
    samples: int  # in this second
    errors: int  # in this second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    total_samples: int
    total_errors: int
    planned_samples: int | None
    # The last, partial second after the planned end: requests that finished in the graceful stop,
    # and those still waiting then, recorded as failed samples (``waiting_at_end`` of them).
    after_end: bool = False
    waiting_at_end: int = 0
    generator_cpu_percent: float = 0.0  # the load generator's workers in this second, % of one core
    labels: tuple[LabelLive, ...] = ()  # the busiest labels lately (only when the live view asks)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the results file, its summary and how the run ended."""

    out_path: Path
    labels: tuple[LabelSummary, ...]
    total: LabelSummary
    duration_s: float  # from t0 to the end of the run
    started_epoch_ms: int
    processes: int
    rows_written: int
    worker_cpu_s: float  # user + sys CPU of the worker processes
    interrupted: bool
    top_errors: tuple[tuple[str, int], ...] = ()  # most frequent error kinds, (kind, count)
    # Open model: arrivals due, those sent later than open_model.LATE_TOLERANCE_MS after their
    # intended time or never sent (still queued at the end), and the never-sent ones alone.
    arrivals: int = 0
    late_arrivals: int = 0
    unsent_arrivals: int = 0
    max_queue_ms: int = 0  # open model: longest delay from an intended to the actual send
    aborted_by: AbortReason | None = None  # --abort-on-fail: the threshold that ended the run
    # Requests still waiting when the run ended (after the graceful stop, or at once on Ctrl-C),
    # recorded as failed samples: "Non HTTP response code: RunEnded".
    waiting_at_end: int = 0
    no_response: int = 0  # samples that got no HTTP response at all (refused, timed out, ...)
    planned_duration_s: float | None = None  # the plan's; duration_s is how long the run lasted
    graceful_stop_s: float = 0.0
    origins: tuple[str, ...] = ()  # host:port of the plan's requests (scripted users: none known)
    lost_workers: tuple[LostWorker, ...] = ()  # cluster mode: workers lost during the run

    @property
    def responses(self) -> int:
        """Samples that got an HTTP response (any status)."""
        return self.total.samples - self.no_response
