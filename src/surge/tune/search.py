"""Which candidates to measure, in what order and how precisely: the smart search, or the full grid.

Exhaustive: every candidate of the grid gets a fine measurement (long trials, 5 % precision),
then the leaders are measured again.

Smart, in two phases:

1. Screening with short trials (15 % precision). Each mode climbs its own axes from its default
   (gthread: 4 threads, gevent: 1000 connections) at the fewest workers: per-worker concurrency
   first, up while throughput grows by at least ``growth_needed`` (down if the first step up
   did not help), then workers, up while throughput still grows. A candidate is measured from a
   start taken from its neighbour's result, so its rate is bracketed in a few trials. Modes take
   turns, so that each has its first figure early even when the budget is short. A mode whose
   best so far could not reach the leader even if its rate grew in proportion to its concurrency
   (workers x threads) is not explored further.
2. The leaders of the screening are measured again with fine trials, ``repeats`` times each: the
   figures ranked are theirs, and the spread of a leader's measurements says how large the noise
   is.

Both stop at the budget: what was not measured is listed as such.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from surge.serve.profiles import PROFILES
from surge.tune.candidates import Candidate, Space, reference_candidate
from surge.tune.measure import Budget, Measurement, Status
from surge.tune.ratesearch import FINE, SCREEN, TRIAL_OVERHEAD_S, SearchSettings

Measure = Callable[[Candidate, SearchSettings, float | None, Budget], Measurement]

# What a fine measurement of one candidate roughly costs (boot, warm-up, about five trials).
_FINE_COST_S = 2.5 + 5 * (FINE.trial_s + TRIAL_OVERHEAD_S)
# Above this share of the server's cores in use at its highest rate, a candidate is CPU-bound.
SATURATED_SHARE = 0.9
# The share of the budget the screening may use at most when leaders are still to be measured.
_SCREEN_SHARE_MAX = 0.7


@dataclass(frozen=True)
class SearchPlan:
    """How the tune searches: the space, smart or exhaustive, the budget, the leaders' repeats."""

    space: Space
    exhaustive: bool = False
    budget_s: float = 600.0
    repeats: int = 1  # fine measurements of each leader after its first (screening or fine)
    leaders: int = 2
    growth_needed: float = 0.10  # a step along an axis must add this much throughput to go on
    screen: SearchSettings = SCREEN
    fine: SearchSettings = FINE
    server_cores: int = 1

    def saturated(self, measurement: Measurement) -> bool:
        """At its highest rate the candidate kept the server's cores busy: more workers, threads
        or connections cannot add throughput there, only overhead."""
        best = measurement.best
        return best is not None and best.server_cpu_percent >= SATURATED_SHARE * 100.0 * self.server_cores


@dataclass
class SearchLog:
    """Everything measured, in order, and what was left out and why."""

    strategy: str
    measurements: list[Measurement] = field(default_factory=list)
    not_measured: dict[Candidate, str] = field(default_factory=dict)
    interrupted: bool = False
    budget_exhausted: bool = False
    elapsed_s: float = 0.0

    def add(self, measurement: Measurement) -> None:
        self.measurements.append(measurement)
        if measurement.status is Status.INTERRUPTED:
            self.interrupted = True
        if measurement.status is Status.NOT_MEASURED or "budget" in measurement.reason:
            self.budget_exhausted = True

    @property
    def stopped(self) -> bool:
        return self.interrupted or self.budget_exhausted

    def best_level(self, candidate: Candidate) -> float | None:
        levels = [
            m.max_level
            for m in self.measurements
            if m.candidate == candidate and m.status is Status.OK and m.max_level is not None
        ]
        return max(levels) if levels else None


class AxisWalk:
    """Hill-climb along ordered values from a start: up while the score grows enough, else down.

    ``next_index()`` says which value to measure next (None when done); ``record()`` takes its
    score (None: no usable figure, which ends the walk in that direction).
    """

    def __init__(self, size: int, start: int, growth_needed: float) -> None:
        self.size = size
        self.start = start
        self.growth_needed = growth_needed
        self.scores: dict[int, float | None] = {}
        self._direction = 1
        self._at = start
        self._done = False
        self._went_up = False

    def next_index(self) -> int | None:
        if self._done:
            return None
        if self.start not in self.scores:
            return self.start
        candidate = self._at + self._direction
        if 0 <= candidate < self.size and candidate not in self.scores:
            return candidate
        return self._turn()

    def _turn(self) -> int | None:
        # Down from the start only if going up did not help at the first step (or was impossible).
        if self._direction == 1 and not self._went_up:
            self._direction = -1
            self._at = self.start
            candidate = self.start - 1
            if candidate >= 0 and candidate not in self.scores:
                return candidate
        self._done = True
        return None

    def record(self, index: int, score: float | None) -> None:
        best_before = self.best_score()
        self.scores[index] = score
        if index == self.start:
            return
        improved = score is not None and (
            best_before is None or score >= best_before * (1 + self.growth_needed)
        )
        if improved:
            self._at = index
            if self._direction == 1:
                self._went_up = True
        elif self._direction == 1 and not self._went_up:
            self._at = self.size  # stop going up; _turn() will try down
        else:
            self._done = True

    def best_score(self) -> float | None:
        scores = [s for s in self.scores.values() if s is not None]
        return max(scores) if scores else None

    def best_index(self) -> int:
        """The index with the best score; the start when none has one."""
        scored = {i: s for i, s in self.scores.items() if s is not None}
        if not scored:
            return self.start
        best = max(scored.values())
        # Among equal scores, the lowest value (the cheaper candidate).
        return min(i for i, s in scored.items() if s == best)


class ModeWalk:
    """One mode's walk: per-worker concurrency at the fewest workers, then the worker count."""

    def __init__(self, mode: str, space: Space, growth_needed: float) -> None:
        self.mode = mode
        self.workers = sorted(space.workers)
        if mode == "gthread":
            self.values: list[int | None] = list(sorted(space.threads))
            default = PROFILES["gthread"].default_threads
        elif mode == "gevent":
            self.values = list(sorted(space.worker_connections))
            default = PROFILES["gevent"].default_worker_connections
        else:
            self.values = [None]
            default = None
        start = self.values.index(default) if default in self.values else (len(self.values) - 1) // 2
        self.value_walk = AxisWalk(len(self.values), start, growth_needed)
        self.worker_walk: AxisWalk | None = None
        self.growth_needed = growth_needed
        self.scores: dict[Candidate, float] = {}
        self.done = False

    def candidate(self, value: int | None, workers: int) -> Candidate:
        if self.mode == "gthread":
            return Candidate(self.mode, workers, threads=value)
        if self.mode == "gevent":
            return Candidate(self.mode, workers, worker_connections=value)
        return Candidate(self.mode, workers)

    def next(self) -> tuple[Candidate, float | None] | None:
        """The next candidate to measure with a hint (its expected highest rate), or None when done."""
        if self.done:
            return None
        if self.worker_walk is None:
            index = self.value_walk.next_index()
            if index is not None:
                hint = self._hint(self.values, index, self.value_walk)
                return self.candidate(self.values[index], self.workers[0]), hint
            self.worker_walk = AxisWalk(len(self.workers), 0, self.growth_needed)
            self.worker_walk.record(0, self.value_walk.best_score())
        index = self.worker_walk.next_index()
        if index is None:
            return None
        value = self.values[self.value_walk.best_index()]
        hint = self._hint([float(w) for w in self.workers], index, self.worker_walk)
        return self.candidate(value, self.workers[index]), hint

    def bound(self, candidate: Candidate) -> float | None:
        """The most ``candidate`` could serve if throughput grew in proportion to concurrency from
        this mode's best so far (None before any figure): a bound, since it does not grow faster
        (more workers or threads share the same cores and add their own overhead)."""
        if not self.scores:
            return None
        best = max(self.scores, key=lambda c: self.scores[c])
        return self.scores[best] * max(1.0, candidate.concurrency / best.concurrency)

    def record(self, candidate: Candidate, level: float | None, *, saturated: bool = False) -> None:
        """The candidate's highest level (None: it has none); ``saturated``: the server's cores were
        busy at that level, so this mode has nothing more to gain from more concurrency."""
        if saturated:
            self.done = True
        if level is not None:
            self.scores[candidate] = level
        value = candidate.threads or candidate.worker_connections
        if self.worker_walk is None:
            self.value_walk.record(self.values.index(value), level)
        else:
            self.worker_walk.record(self.workers.index(candidate.workers), level)

    @staticmethod
    def _hint(values: list[float] | list[int | None], index: int, walk: AxisWalk) -> float | None:
        """The nearest measured neighbour's level, scaled halfway towards proportional growth."""
        measured = [(abs(i - index), i, s) for i, s in walk.scores.items() if s is not None]
        if not measured:
            return None
        _, near, score = min(measured)
        here, there = values[index], values[near]
        if here is None or there is None or there <= 0:
            return score
        return score * math.sqrt(float(here) / float(there))


def _measure_logged(
    log: SearchLog,
    measure: Measure,
    candidate: Candidate,
    settings: SearchSettings,
    hint: float | None,
    budget: Budget,
) -> Measurement:
    measurement = measure(candidate, settings, hint, budget)
    log.add(measurement)
    return measurement


def run_search(plan: SearchPlan, measure: Measure, budget: Budget) -> SearchLog:
    """The smart search or the full grid, as the plan says; Ctrl-C ends it with what was measured."""
    started = time.monotonic()
    log = SearchLog("exhaustive" if plan.exhaustive else "smart")
    try:
        (run_exhaustive if plan.exhaustive else run_smart)(plan, measure, budget, log)
    except KeyboardInterrupt:
        log.interrupted = True
    for candidate in plan.space.grid():
        if not any(m.candidate == candidate for m in log.measurements):
            reason = _why_stopped(log) if log.stopped else "not measured: the search stopped short of it"
            log.not_measured.setdefault(candidate, reason)
    log.elapsed_s = time.monotonic() - started
    return log


def run_exhaustive(plan: SearchPlan, measure: Measure, budget: Budget, log: SearchLog) -> None:
    """Every candidate with fine trials, then the leaders again, ``repeats`` times each."""
    for candidate in plan.space.grid():
        if log.stopped:
            return
        _measure_logged(log, measure, candidate, plan.fine, None, budget)
    _repeat_leaders(log, plan, measure, budget, rounds=plan.repeats)


def run_smart(plan: SearchPlan, measure: Measure, budget: Budget, log: SearchLog) -> None:
    """Screen along each mode's axes, then measure the leaders again, finely, ``repeats`` times each."""
    walks = [ModeWalk(mode, plan.space, plan.growth_needed) for mode in plan.space.modes]
    reserve_s = min(plan.leaders * plan.repeats * _FINE_COST_S, (1 - _SCREEN_SHARE_MAX) * plan.budget_s)
    active = list(walks)
    while active and not log.stopped:
        for walk in list(active):
            if log.stopped:
                break
            if budget.remaining_s() < reserve_s:
                log.not_measured.update(_unvisited(plan.space, log, "no time left for the screening"))
                active = []
                break
            step = walk.next()
            if step is None:
                active.remove(walk)
                continue
            candidate, hint = step
            measured = {m.candidate for m in log.measurements}
            left = [c for c in plan.space.grid() if c.mode == walk.mode and c not in measured]
            bounds = [b for b in (walk.bound(c) for c in left) if b is not None]
            bound, leader = (max(bounds) if bounds else None), _best_level(log)
            if bound is not None and leader is not None and bound * (1 + plan.screen.precision) < leader:
                # Even scaling perfectly from its best so far, no candidate of this mode would
                # reach the leader.
                active.remove(walk)
                why = f"{walk.mode} cannot reach the best so far, even if its rate grew with its concurrency"
                log.not_measured.update(
                    (c, f"not measured: {why}")
                    for c in _unvisited(plan.space, log, "")
                    if c.mode == walk.mode
                )
                continue
            measurement = _measure_logged(log, measure, candidate, plan.screen, hint, budget)
            ok = measurement.status is Status.OK
            walk.record(
                candidate,
                measurement.max_level if ok else None,
                saturated=ok and plan.saturated(measurement),
            )
    if plan.space.dev_server and not log.stopped:
        _measure_logged(log, measure, reference_candidate(), plan.screen, None, budget)
    _repeat_leaders(log, plan, measure, budget, rounds=plan.repeats, settings=plan.fine)


def _repeat_leaders(
    log: SearchLog,
    plan: SearchPlan,
    measure: Measure,
    budget: Budget,
    *,
    rounds: int,
    settings: SearchSettings | None = None,
) -> None:
    """Measure the leaders ``rounds`` more times, round by round, as long as time allows."""
    leaders = _leaders(log, plan.leaders)
    for _ in range(max(0, rounds)):
        for candidate in leaders:
            if log.stopped:
                return
            if budget.remaining_s() < _FINE_COST_S / 2:
                log.budget_exhausted = True
                return
            _measure_logged(log, measure, candidate, settings or plan.fine, log.best_level(candidate), budget)


def _best_level(log: SearchLog) -> float | None:
    """The highest level any gunicorn candidate met the SLO at so far."""
    levels = [
        m.max_level
        for m in log.measurements
        if m.status is Status.OK and m.max_level is not None and not m.candidate.reference
    ]
    return max(levels) if levels else None


def _leaders(log: SearchLog, count: int) -> list[Candidate]:
    """The best candidates so far by their highest level (the reference row never leads)."""
    best: dict[Candidate, float] = {}
    for m in log.measurements:
        if m.status is Status.OK and m.max_level is not None and not m.candidate.reference:
            best[m.candidate] = max(best.get(m.candidate, 0.0), m.max_level)
    ranked = sorted(best, key=lambda c: (-best[c], c.cost()))
    return ranked[:count]


def _why_stopped(log: SearchLog) -> str:
    return "not measured: interrupted" if log.interrupted else "not measured: no time left in the budget"


def _unvisited(space: Space, log: SearchLog, reason: str) -> dict[Candidate, str]:
    measured = {m.candidate for m in log.measurements}
    return {c: f"not measured: {reason}" for c in space.grid() if c not in measured}
