"""The verdict of a run: passed, thresholds failed, invalid (the generator was the bottleneck),
no response from the target, or interrupted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from surge.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_INVALID_RUN,
    EXIT_OK,
    EXIT_THRESHOLDS_FAILED,
)
from surge.verdict.thresholds import ThresholdResult


class Status(StrEnum):
    """How a run is judged, most serious last; the value is what ``--summary-json`` writes."""

    PASSED = "passed"
    THRESHOLDS_FAILED = "thresholds_failed"
    INVALID = "invalid"
    NO_RESPONSE = "no_response"  # not one request got an HTTP response: the target is down
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM: a slice of the plan says nothing about all of it


EXIT_CODES = {
    Status.PASSED: EXIT_OK,
    Status.THRESHOLDS_FAILED: EXIT_THRESHOLDS_FAILED,
    Status.INVALID: EXIT_INVALID_RUN,
    Status.NO_RESPONSE: EXIT_FAILURE,
    Status.INTERRUPTED: EXIT_INTERRUPTED,
}

# Above this share of one core per worker process the generator itself limits the load, so its
# latencies include its own queueing and cannot be trusted.
CPU_SATURATION_SHARE = 0.90
# Shorter runs are not judged: a few milliseconds of start-up work would look like saturation.
MIN_JUDGED_DURATION_S = 1.0


@dataclass(frozen=True)
class Verdict:
    status: Status
    exit_code: int
    thresholds: tuple[ThresholdResult, ...]
    invalid_reasons: tuple[str, ...]
    # Interrupted or no response: what happened, in one sentence (empty otherwise).
    cause: str = ""

    @property
    def failed_thresholds(self) -> tuple[ThresholdResult, ...]:
        return tuple(r for r in self.thresholds if not r.passed)


def generator_saturation_reasons(worker_cpu_s: float, duration_s: float, processes: int) -> tuple[str, ...]:
    """Say why a run is invalid when its worker processes used nearly all of their cores."""
    if duration_s < MIN_JUDGED_DURATION_S or processes <= 0:
        return ()
    share = worker_cpu_s / (duration_s * processes)
    if share < CPU_SATURATION_SHARE:
        return ()
    return (
        f"the load generator was the bottleneck: its {processes} worker process(es) used "
        f"{share:.0%} of their cores (limit {CPU_SATURATION_SHARE:.0%}); add processes or lower the load",
    )


# Above this share of an open-model run's arrivals sent late (or never), the generator could not
# keep the rate, so the load applied was not the load asked for.
LATE_ARRIVALS_SHARE = 0.01


def late_arrival_reasons(
    arrivals: int, late_arrivals: int, unsent_arrivals: int, tolerance_ms: int
) -> tuple[str, ...]:
    """Say why an open-model run is invalid when too many requests left late (or never left)."""
    if arrivals <= 0 or late_arrivals / arrivals <= LATE_ARRIVALS_SHARE:
        return ()
    unsent = f", {unsent_arrivals} never sent" if unsent_arrivals else ""
    return (
        f"requests left late: {late_arrivals} of {arrivals} arrivals ({late_arrivals / arrivals:.1%}{unsent})"
        f" were sent more than {tolerance_ms} ms after their intended time (limit {LATE_ARRIVALS_SHARE:.0%});"
        " add processes, raise --max-in-flight or lower the rate",
    )


def decide(
    thresholds: Sequence[ThresholdResult],
    invalid_reasons: Sequence[str],
    *,
    interrupted: str = "",
    no_response: str = "",
) -> Verdict:
    """The most serious outcome wins: interrupted, then no response, then invalid, then thresholds.

    ``interrupted`` and ``no_response`` say what happened when it did (empty otherwise). An
    invalid run outranks failed thresholds: its numbers say nothing about the server. A run whose
    target never answered is not judged invalid: its CPU use says nothing about the generator.
    """
    thresholds = tuple(thresholds)
    if interrupted:
        return _verdict(Status.INTERRUPTED, thresholds, tuple(invalid_reasons), interrupted)
    if no_response:
        return _verdict(Status.NO_RESPONSE, thresholds, (), no_response)
    if invalid_reasons:
        return _verdict(Status.INVALID, thresholds, tuple(invalid_reasons))
    if any(not r.passed for r in thresholds):
        return _verdict(Status.THRESHOLDS_FAILED, thresholds, ())
    return _verdict(Status.PASSED, thresholds, ())


def _verdict(
    status: Status, thresholds: tuple[ThresholdResult, ...], invalid: tuple[str, ...], cause: str = ""
) -> Verdict:
    return Verdict(status, EXIT_CODES[status], thresholds, invalid, cause)
