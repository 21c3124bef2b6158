"""Rank the candidates by their highest rate at the SLO, say when the leaders are within the noise,
and pick the one to recommend.

A candidate's figure is its best run (screening or fine): on a machine shared with other work,
interference only ever lowers a server's throughput, so the best run is the closest to what the
server can do. The range of its figures,
from the lowest measurement to the highest plus the search's precision (how far above a figure
the real maximum may lie), or more when other programs took a share of the cores during a run
(its figure divided by what they left), is what one cannot tell apart. Two candidates whose ranges overlap
are within the noise; then the cheaper one is recommended (fewer workers, then the simpler mode,
then less per worker), and the output says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from surge.tune.candidates import Candidate
from surge.tune.measure import Measurement, Status
from surge.tune.ratesearch import FINE, SCREEN
from surge.tune.search import SearchLog
from surge.tune.trial import Trial

_STATUS_ORDER = {
    Status.OK: 0,
    Status.GENERATOR_LIMITED: 1,
    Status.SLO_NOT_MET: 2,
    Status.FAILED: 3,
    Status.INTERRUPTED: 4,
    Status.NOT_MEASURED: 5,
}
_PRECISION = {SCREEN.name: SCREEN.precision, FINE.name: FINE.precision}


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's ranked figures, from all of its measurements."""

    candidate: Candidate
    status: Status
    max_rps: float | None  # the highest rate meeting the SLO (mean over the measurements ranked)
    best: Trial | None  # the passing trial at the highest rate: p50, p99, CPU and memory there
    measurements: tuple[Measurement, ...]
    ranked_on: str  # "fine" or "screen": the run that gives the figure
    spread: float | None  # (highest - lowest) / highest of the figures ranked, with two or more
    low: float | None  # the range the figure cannot be told apart from: lowest measurement...
    high: float | None  # ...to the highest plus the search's precision
    reason: str

    @property
    def noise(self) -> float:
        """The range's width relative to the figure (0.0 when there is no figure)."""
        if self.max_rps is None or self.low is None or self.high is None or self.max_rps <= 0:
            return 0.0
        return (self.high - self.low) / self.max_rps

    @property
    def trials(self) -> tuple[Trial, ...]:
        return tuple(t for m in self.measurements for t in m.trials)

    @property
    def repeats(self) -> int:
        """Measurements that found a rate (the range spans them all)."""
        return sum(1 for m in self.measurements if m.status is Status.OK and m.best is not None)


@dataclass(frozen=True)
class Ranking:
    results: tuple[CandidateResult, ...]  # best first; OK ones ranked by max_rps
    recommendation: CandidateResult | None
    best: CandidateResult | None  # the highest figure (the recommendation, unless it is in a tie)
    tied: tuple[CandidateResult, ...]  # within the noise of the best, the best included
    top_two_within_noise: bool
    # When nothing can be recommended: the candidate that came closest to the SLO, and its trial.
    closest: CandidateResult | None = None
    closest_trial: Trial | None = None

    @property
    def ranked(self) -> tuple[CandidateResult, ...]:
        return tuple(r for r in self.results if r.status is Status.OK)


def within_noise(first: CandidateResult, second: CandidateResult) -> bool:
    """True when the two candidates' ranges overlap: the measurements cannot tell them apart."""
    if None in (first.low, first.high, second.low, second.high):
        return False
    assert first.low is not None and first.high is not None
    assert second.low is not None and second.high is not None
    return first.low <= second.high and second.low <= first.high


# Beyond this share of the cores used by others, a run says little; it bounds the widening.
_MAX_DISTURBANCE = 0.8


def disturbance(measurement: Measurement) -> float:
    """How much of the cores other programs took around a run's answer: in its highest passing
    trial and in the failed trial that ended its climb (the one that set its figure)."""
    best = measurement.best
    if best is None:
        return 0.0
    above = [t for t in measurement.trials if t.outcome == "failed" and t.level > best.level]
    limiting = min(above, key=lambda t: t.level) if above else None
    share = max(best.foreign_cpu_share, limiting.foreign_cpu_share if limiting else 0.0)
    return min(share, _MAX_DISTURBANCE)


def _figure(measurement: Measurement, closed: bool) -> float | None:
    best = measurement.best
    if best is None:
        return None
    return best.rate_per_s if closed else best.level


def candidate_result(candidate: Candidate, measurements: list[Measurement], closed: bool) -> CandidateResult:
    ok = [m for m in measurements if m.status is Status.OK and m.best is not None]
    # Every run counts, screening and fine alike: every candidate has a screening run (or, in the
    # exhaustive search, a fine one), so all are ranked by the same kind of run, and a leader's
    # second run can only confirm or raise its figure, never sink it below the others' first.
    ranked = ok
    if ranked:
        figures = [f for f in (_figure(m, closed) for m in ranked) if f is not None]
        top = max(figures)
        every = figures
        spread = (max(every) - min(every)) / max(every) if len(every) >= 2 and max(every) > 0 else None
        # The best measurement gives the figure, the trial shown (p50, p99, CPU, memory) and the
        # precision: its bracket, or the settings' when it found no failure above its figure.
        shown = max(ranked, key=lambda m: _figure(m, closed) or 0.0)
        precision = shown.precision if shown.precision is not None else _PRECISION[shown.settings]
        # A run disturbed by other programs may understate the candidate by their share of the
        # cores: its quiet-machine figure could be that much higher, never lower.
        high = max((_figure(m, closed) or 0.0) * max(1 + precision, 1 / (1 - disturbance(m))) for m in ranked)
        reasons = [m.reason for m in ranked if m.reason]
        return CandidateResult(
            candidate,
            Status.OK,
            top,
            shown.best,
            tuple(measurements),
            shown.settings,
            spread,
            min(every),
            high,
            reasons[-1] if reasons else "",
        )
    # Not ranked: the most telling status of its measurements, with the last reason for it.
    worst = min(measurements, key=lambda m: _STATUS_ORDER[m.status])
    best_trial = max(
        (t for m in measurements for t in m.trials if t.outcome == "passed"),
        key=lambda t: t.level,
        default=None,
    )
    return CandidateResult(
        candidate,
        worst.status,
        _figure(worst, closed) if worst.best is not None else None,
        best_trial,
        tuple(measurements),
        worst.settings,
        None,
        None,
        None,
        worst.reason,
    )


def rank(log: SearchLog, *, closed: bool) -> Ranking:
    """The ranking of every candidate measured or left out, and the recommendation."""
    by_candidate: dict[Candidate, list[Measurement]] = {}
    for m in log.measurements:
        by_candidate.setdefault(m.candidate, []).append(m)
    results = [candidate_result(c, ms, closed) for c, ms in by_candidate.items()]
    results += [
        CandidateResult(c, Status.NOT_MEASURED, None, None, (), "", None, None, None, why)
        for c, why in log.not_measured.items()
        if c not in by_candidate
    ]
    results.sort(key=_order)
    valid = [r for r in results if r.status is Status.OK and not r.candidate.reference]
    if not valid:
        closest, trial = _closest(results)
        return Ranking(tuple(results), None, None, (), False, closest, trial)
    best = valid[0]
    tied = tuple(r for r in valid if within_noise(best, r))
    chosen = min(tied, key=lambda r: r.candidate.cost())
    top_two = len(valid) >= 2 and within_noise(valid[0], valid[1])
    return Ranking(tuple(results), chosen, best, tied, top_two)


def _order(result: CandidateResult) -> tuple[int, float, tuple[int, int, int]]:
    figure = result.max_rps if result.max_rps is not None else -1.0
    return (_STATUS_ORDER[result.status], -figure, result.candidate.cost())


def _closest(results: list[CandidateResult]) -> tuple[CandidateResult | None, Trial | None]:
    """The candidate whose trial came nearest to meeting the SLO (its worst threshold's ratio)."""
    best: tuple[float, CandidateResult, Trial] | None = None
    for result in results:
        if result.candidate.reference:
            continue
        for trial in result.trials:
            if trial.outcome not in ("passed", "failed") or not math.isfinite(trial.slo_ratio):
                continue
            if best is None or trial.slo_ratio < best[0]:
                best = (trial.slo_ratio, result, trial)
    return (best[1], best[2]) if best is not None else (None, None)
