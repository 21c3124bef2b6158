"""Trials and measurements made up for the tune's unit tests (no server, no socket)."""

from __future__ import annotations

from surge.tune.candidates import Candidate
from surge.tune.measure import Measurement, Status
from surge.tune.ratesearch import FINE, SCREEN, SearchSettings, search_max
from surge.tune.trial import Outcome, Trial


def trial(
    level: float,
    outcome: Outcome = Outcome.PASSED,
    *,
    p50_ms: float = 5.0,
    p99_ms: float = 20.0,
    reason: str = "",
    hopeless: bool = False,
    slo_ratio: float = 0.5,
    foreign: float = 0.0,
    error_pct: float = 0.0,
) -> Trial:
    return Trial(
        level=level,
        rate_per_s=level,
        duration_s=2.0,
        samples=int(level * 2),
        error_pct=error_pct,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        outcome=outcome,
        reason=reason,
        server_cpu_percent=50.0,
        server_rss_bytes=64 * 1024 * 1024,
        generator_cpu_share=0.1,
        server_alive=True,
        slo_ratio=slo_ratio,
        foreign_cpu_share=foreign,
        hopeless=hopeless,
    )


class Server:
    """A made-up server that meets the SLO up to ``capacity``; records the levels it was tried at."""

    def __init__(self, capacity: float, *, limited_above: float | None = None) -> None:
        self.capacity = capacity
        self.limited_above = limited_above
        self.levels: list[float] = []

    def __call__(self, level: float) -> Trial:
        self.levels.append(level)
        if self.limited_above is not None and level > self.limited_above:
            return trial(level, Outcome.LIMITED, reason="the load generator was the bottleneck")
        if level <= self.capacity:
            return trial(level)
        return trial(level, Outcome.FAILED, p99_ms=900.0, reason="p99<500ms: p99 = 900.0 ms", slo_ratio=1.8)


def measured(
    candidate: Candidate,
    capacity: float,
    settings: SearchSettings = SCREEN,
    hint: float | None = None,
) -> Measurement:
    """A measurement as the real search would make it against a server of ``capacity``."""
    result = search_max(Server(capacity), settings, closed=False, hint=hint)
    return Measurement(
        candidate,
        settings.name,
        Status.OK if result.best is not None else Status.SLO_NOT_MET,
        trials=tuple(result.trials),
        best=result.best,
        precision=result.precision,
        reason=result.note,
    )


def fine(candidate: Candidate, capacity: float) -> Measurement:
    return measured(candidate, capacity, FINE, hint=capacity)
