"""The rate search brackets the highest passing level within the precision, from a start or a hint."""

from __future__ import annotations

import pytest

from surge.tune.ratesearch import (
    FINE,
    MIN_RATE_PER_S,
    SCREEN,
    Stop,
    StopSearch,
    round_level,
    search_max,
)
from surge.tune.trial import Outcome, Trial
from tune_fakes import Server, trial


@pytest.mark.parametrize("capacity", [3.0, 21.0, 400.0, 1234.0, 9000.0])
@pytest.mark.parametrize("settings", [SCREEN, FINE])
def test_brackets_the_capacity_within_the_precision(capacity: float, settings: object) -> None:
    server = Server(capacity)
    result = search_max(server, settings, closed=False)  # type: ignore[arg-type]
    assert result.stop is Stop.BRACKETED
    assert result.best is not None and result.lowest_failure is not None
    assert result.best.level <= capacity < result.lowest_failure.level
    assert result.precision is not None and result.precision <= settings.precision + 1e-6  # type: ignore[attr-defined]
    assert [t.level for t in result.trials] == server.levels


def test_an_overload_sends_the_search_to_the_servers_pace() -> None:
    paced, blind = Server(300.0), Server(300.0, paced=False)
    result = search_max(paced, SCREEN, closed=False, start=2000.0)
    search_max(blind, SCREEN, closed=False, start=2000.0)
    # From 2,000 req/s the next trial is just below the 300 req/s the overloaded server kept up.
    assert paced.levels[:2] == [2000.0, 270.0]
    assert result.best is not None and result.best.level <= 300.0
    assert result.precision is not None and result.precision <= SCREEN.precision
    assert sum(level > 300.0 for level in paced.levels) < sum(level > 300.0 for level in blind.levels)


def test_a_start_is_stepped_from_in_full_growth() -> None:
    server = Server(300.0, paced=False)
    result = search_max(server, SCREEN, closed=False, start=1000.0)
    assert server.levels[:3] == [1000.0, 500.0, 250.0]
    assert result.best is not None and result.best.level <= 300.0


def test_a_good_hint_needs_fewer_trials_than_no_hint() -> None:
    cold = Server(1234.0)
    search_max(cold, FINE, closed=False)
    warm = Server(1234.0)
    result = search_max(warm, FINE, closed=False, hint=1200.0)
    assert result.best is not None and result.best.level <= 1234.0
    assert len(warm.levels) < len(cold.levels)


def test_failing_at_the_lowest_rate_is_the_floor() -> None:
    result = search_max(Server(0.5), SCREEN, closed=False)
    assert result.stop is Stop.FLOOR and result.best is None
    assert result.trials[-1].level == MIN_RATE_PER_S


def test_a_hopeless_failure_goes_straight_to_the_floor() -> None:
    levels: list[float] = []

    def run(level: float) -> Trial:
        levels.append(level)
        return trial(level, Outcome.FAILED, p50_ms=50.0, hopeless=True)

    result = search_max(run, SCREEN, closed=False)
    assert result.stop is Stop.FLOOR
    assert levels == [50.0, MIN_RATE_PER_S]


def test_generator_limit_is_retried_once_then_stops_with_the_last_pass() -> None:
    server = Server(10_000.0, limited_above=500.0)
    result = search_max(server, SCREEN, closed=False)
    assert result.stop is Stop.LIMITED
    assert result.best is not None and result.best.level <= 500.0
    assert server.levels[-1] == server.levels[-2] > 500.0  # the limited level, tried twice


def test_no_response_ends_the_search() -> None:
    def run(level: float) -> Trial:
        return trial(level, Outcome.NO_RESPONSE, reason="no request got a response")

    result = search_max(run, SCREEN, closed=False)
    assert result.stop is Stop.NO_RESPONSE and result.note == "no request got a response"
    assert len(result.trials) == 1


def test_stop_search_from_the_runner_keeps_what_was_found() -> None:
    calls = 0

    def run(level: float) -> Trial:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StopSearch(Stop.SERVER_EXITED, "the server exited")
        return trial(level)

    result = search_max(run, SCREEN, closed=False)
    assert result.stop is Stop.SERVER_EXITED and result.note == "the server exited"
    assert result.best is not None and len(result.trials) == 2


def test_budget_is_checked_before_every_trial() -> None:
    allowed = iter([True, True, False])
    result = search_max(Server(1000.0), SCREEN, closed=False, can_afford=lambda cost_s: next(allowed))
    assert result.stop is Stop.BUDGET and len(result.trials) == 2


def test_users_are_whole_numbers() -> None:
    server = Server(13.0)
    result = search_max(server, SCREEN, closed=True)
    assert all(level == int(level) for level in server.levels)
    assert result.best is not None and result.best.level == 13.0
    assert result.lowest_failure is not None and result.lowest_failure.level == 14.0


def test_interrupted_trial_ends_the_search() -> None:
    def run(level: float) -> Trial:
        return trial(level, Outcome.INTERRUPTED)

    assert search_max(run, SCREEN, closed=False).stop is Stop.INTERRUPTED


@pytest.mark.parametrize(
    ("level", "closed", "expected"),
    [
        (1234.5678, False, 1230.0),
        (12.345, False, 12.3),
        (0.123456, False, 0.123),
        (7.6, True, 8.0),
        (0.2, True, 1.0),
    ],
)
def test_round_level(level: float, closed: bool, expected: float) -> None:
    assert round_level(level, closed) == expected


def test_trial_duration_collects_enough_samples_at_low_rates() -> None:
    assert SCREEN.trial_duration_s(1000.0, closed=False) == SCREEN.trial_s
    assert SCREEN.trial_duration_s(10.0, closed=False) == SCREEN.max_trial_s
    assert SCREEN.trial_duration_s(30.0, closed=False) == pytest.approx(2.0)
    assert SCREEN.trial_duration_s(3.0, closed=True) == SCREEN.trial_s


def test_a_pace_bound_that_rounds_onto_the_pass_does_not_end_the_search() -> None:
    """The pace an overload showed bounds the bisection, until the highest pass sits on that bound
    (3,162 rounds to the 3,160 that passed): then the real failure bounds it again."""

    def run(level: float) -> Trial:
        if level <= 3500.0:
            return trial(level)
        return trial(level, Outcome.FAILED, p99_ms=900.0, response_rate=2529.6)

    result = search_max(run, SCREEN, closed=False, start=4000.0)
    assert result.stop is Stop.BRACKETED
    assert result.best is not None and 3160.0 <= result.best.level <= 3500.0
    assert result.lowest_failure is not None and result.lowest_failure.level < 4000.0
    assert result.precision is not None and result.precision <= SCREEN.precision
