"""Find the highest load level at which a server still meets the SLO: step up, step down, then bisect.

Pure logic over a ``run(level) -> Trial`` callable, so it is tested without servers. From the
start level, the level grows by ``growth`` while trials pass (or shrinks while they fail) until a
passing and a failing level bracket the answer; then the geometric middle is tried until the two
are within ``precision`` of each other. A start taken from a similar candidate's result (a hint)
brackets the answer in smaller steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from surge.tune.trial import Outcome, Trial

MIN_RATE_PER_S = 1.0
MAX_RATE_PER_S = 200_000.0
MAX_USERS = 5000
DEFAULT_START_RATE_PER_S = 50.0
DEFAULT_START_USERS = 4
# Each trial costs this much beyond its duration (worker processes start, results merge).
TRIAL_OVERHEAD_S = 0.5
# A failed trial whose successful responses came at less than this share of the rate asked for
# was an overload: the server's pace then was about its capacity. The search goes on from just
# below that pace (PACE_START) and bisects towards just above it (PACE_MARGIN).
OVERLOAD_SHARE = 0.8
PACE_START = 0.9
PACE_MARGIN = 1.25


@dataclass(frozen=True)
class SearchSettings:
    """How precisely, and with how long trials, one candidate's highest level is looked for."""

    name: str
    trial_s: float  # the shortest trial
    max_trial_s: float  # low rates get longer trials (up to this), to collect min_samples
    min_samples: int
    precision: float  # done when the highest pass and the lowest failure are this close (relative)
    growth: float  # step from the default start
    hinted_growth: float  # step from a hint

    def trial_duration_s(self, level: float, closed: bool) -> float:
        if closed or level <= 0:
            return self.trial_s
        return min(self.max_trial_s, max(self.trial_s, self.min_samples / level))


# Short trials to see roughly where each candidate stands; long ones for the leaders.
SCREEN = SearchSettings("screen", 1.5, 3.0, 60, 0.15, 2.0, 1.25)
FINE = SearchSettings("fine", 3.0, 6.0, 300, 0.05, 2.0, 1.12)


class Stop(StrEnum):
    """Why the search for one candidate ended."""

    BRACKETED = "bracketed"  # a pass and a failure within the precision: the answer is between
    FLOOR = "floor"  # failed even at the lowest level
    CEILING = "ceiling"  # passed even at the highest level
    LIMITED = "generator_limited"  # the load generator could not apply the next level
    NO_RESPONSE = "no_response"  # the server stopped answering
    SERVER_EXITED = "server_exited"
    NOT_RECOVERED = "not_recovered"  # after an overload, the server did not get back to normal
    BUDGET = "budget"  # the tune's time ran out
    INTERRUPTED = "interrupted"


class StopSearch(Exception):
    """Raised by the ``run`` callable to end the search (the server exited, did not recover...)."""

    def __init__(self, stop: Stop, note: str) -> None:
        super().__init__(note)
        self.stop = stop
        self.note = note


@dataclass
class SearchResult:
    trials: list[Trial] = field(default_factory=list)
    best: Trial | None = None  # the highest level that passed
    lowest_failure: Trial | None = None  # the lowest level that failed (above best)
    stop: Stop = Stop.BRACKETED
    note: str = ""

    @property
    def max_level(self) -> float | None:
        return self.best.level if self.best is not None else None

    @property
    def precision(self) -> float | None:
        """How far the answer may be above ``best`` (relative), when a failure bounds it."""
        if self.best is None or self.lowest_failure is None:
            return None
        return self.lowest_failure.level / self.best.level - 1.0


def round_level(level: float, closed: bool) -> float:
    """Users are whole; rates keep 3 significant digits (there is no more precision to claim)."""
    if closed:
        return float(max(1, round(level)))
    if level <= 0:
        return 0.0
    digits = 2 - math.floor(math.log10(level))
    return round(level, digits) if digits > 0 else float(round(level, digits))


def search_max(
    run: Callable[[float], Trial],
    settings: SearchSettings,
    *,
    closed: bool,
    hint: float | None = None,
    start: float | None = None,
    can_afford: Callable[[float], bool] = lambda cost_s: True,
) -> SearchResult:
    """The highest level that passes, with every trial made to find it.

    ``hint``: a similar candidate's result, stepped from in small steps; ``start``: a rougher guess,
    stepped from in the settings' full growth (the default start when neither is given).
    """
    low = float(start if start is not None else DEFAULT_START_USERS if closed else DEFAULT_START_RATE_PER_S)
    floor = 1.0 if closed else MIN_RATE_PER_S
    ceiling = float(MAX_USERS) if closed else MAX_RATE_PER_S
    growth = settings.growth if hint is None else settings.hinted_growth
    level = round_level(min(ceiling, max(floor, hint if hint is not None else low)), closed)
    result = SearchResult()
    passed: float | None = None
    failed: float | None = None
    # The pace an overloaded server kept (its successful responses per second): about its
    # capacity, so the next levels go there rather than halfway, away from more overloads.
    pace: float | None = None
    retried_limited = False
    while True:
        duration_s = settings.trial_duration_s(level, closed)
        if not can_afford(duration_s + TRIAL_OVERHEAD_S):
            result.stop, result.note = Stop.BUDGET, "the tune's time budget ran out"
            return result
        try:
            trial = run(level)
        except StopSearch as stop:
            result.stop, result.note = stop.stop, stop.note
            return result
        result.trials.append(trial)
        if trial.outcome is Outcome.INTERRUPTED:
            result.stop, result.note = Stop.INTERRUPTED, "interrupted"
            return result
        if trial.outcome is Outcome.NO_RESPONSE:
            result.stop, result.note = Stop.NO_RESPONSE, trial.reason
            return result
        if trial.outcome is Outcome.LIMITED:
            if not retried_limited:
                retried_limited = True  # once: a busy moment of the machine, or the generator for good
                continue
            result.stop, result.note = Stop.LIMITED, trial.reason
            return result
        retried_limited = False
        if trial.outcome is Outcome.PASSED:
            passed = level
            result.best = trial
        else:
            failed = level
            result.lowest_failure = trial
            if not closed and 0 < trial.response_rate_per_s < OVERLOAD_SHARE * level:
                pace = min(pace or math.inf, trial.response_rate_per_s)
        if pace is not None and passed is not None and passed >= PACE_MARGIN * pace:
            pace = None  # the server did better than its pace under overload suggested
        if passed is not None and failed is not None:
            if failed / passed <= 1.0 + settings.precision + 1e-9:
                result.stop = Stop.BRACKETED
                return result
            middle: float | None = None
            if pace is not None and passed < PACE_MARGIN * pace < failed:
                upper = PACE_MARGIN * pace
                # Close to the pace's bound: try the bound itself, which ends its use either way.
                guess = upper if upper / passed <= 1.0 + settings.precision else math.sqrt(passed * upper)
                guess = round_level(guess, closed)
                if passed < guess < failed:
                    middle = guess
            if middle is None:
                pace = None
                middle = round_level(math.sqrt(passed * failed), closed)
                if not passed < middle < failed:
                    result.stop = Stop.BRACKETED  # no level left between them (whole users)
                    return result
            level = middle
        elif passed is not None:
            if level >= ceiling:
                result.stop, result.note = Stop.CEILING, f"met the SLO at the highest level tried ({level:g})"
                return result
            level = round_level(min(ceiling, level * growth), closed)
        else:
            if level <= floor:
                result.stop, result.note = Stop.FLOOR, f"did not meet the SLO at the lowest level ({level:g})"
                return result
            # A failure that a lower load would not cure: one trial at the floor to confirm it.
            level = floor if trial.hopeless else round_level(max(floor, level / growth), closed)
            if pace is not None and not trial.hopeless:
                # Just below the pace the overloaded server kept: about its capacity.
                level = round_level(max(floor, PACE_START * pace), closed)
