"""The smart search walks each mode's axes and stops where throughput stops growing; the exhaustive
search measures the whole grid; both stop at the budget and on Ctrl-C, keeping what was measured."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from surge.tune.candidates import Candidate, Space
from surge.tune.measure import Budget, Measurement, Status
from surge.tune.ratesearch import SearchSettings
from surge.tune.search import AxisWalk, ModeWalk, SearchPlan, run_search
from tune_fakes import measured

# Made-up apps: the highest rate each candidate can serve.
Capacity = Callable[[Candidate], float]


def io_bound(c: Candidate) -> float:
    """Waits 50 ms: each request in flight adds 20 req/s, up to what one core does (threads cost more)."""
    if c.mode == "sync":
        return 20.0 * c.workers
    if c.mode == "gthread":
        return min(800.0, 20.0 * c.workers * (c.threads or 1))
    return min(1200.0, 20.0 * (c.worker_connections or 1)) * (1.05 if c.workers > 1 else 1.0)


def cpu_bound(c: Candidate) -> float:
    """One core does 400 req/s whatever the mode; more workers only cost a little."""
    return 400.0 * (0.97 ** (c.workers - 1))


def io_cpu(c: Candidate) -> float:
    """Server CPU at the highest rate, % of one core: gevent fills the core, threads half of it."""
    return {"sync": 5.0, "gthread": 50.0, "gevent": 100.0}[c.mode]


def cpu_cpu(c: Candidate) -> float:
    return 100.0


class FakeMeasure:
    def __init__(
        self, capacity: Capacity, interrupt_after: int | None = None, cpu: Capacity | None = None
    ) -> None:
        self.capacity = capacity
        self.cpu = cpu or (io_cpu if capacity is io_bound else cpu_cpu if capacity is cpu_bound else None)
        self.calls: list[tuple[Candidate, str, float | None]] = []
        self.interrupt_after = interrupt_after

    def __call__(
        self, candidate: Candidate, settings: SearchSettings, hint: float | None, budget: Budget
    ) -> Measurement:
        if self.interrupt_after is not None and len(self.calls) == self.interrupt_after:
            raise KeyboardInterrupt
        self.calls.append((candidate, settings.name, hint))
        cpu = self.cpu(candidate) if self.cpu is not None else 50.0
        return measured(candidate, self.capacity(candidate), settings, hint, cpu)

    @property
    def candidates(self) -> list[Candidate]:
        return [c for c, _, _ in self.calls]


SPACE = Space(
    modes=("sync", "gthread", "gevent"),
    workers=(1, 2, 3),
    threads=(4, 16, 64),
    worker_connections=(100, 1000),
)


def test_axis_walk_goes_up_while_it_grows_and_stops_after_the_first_step_that_does_not() -> None:
    walk = AxisWalk(5, 0, 0.10)
    scores = {0: 100.0, 1: 200.0, 2: 210.0, 3: 900.0}
    visited = []
    while (index := walk.next_index()) is not None:
        visited.append(index)
        walk.record(index, scores.get(index))
    assert visited == [0, 1, 2]  # 210 is not 10 % above 200: index 3 is never tried
    assert walk.best_index() == 2


def test_axis_walk_goes_down_when_the_first_step_up_does_not_help() -> None:
    walk = AxisWalk(3, 1, 0.10)
    scores = {0: 300.0, 1: 200.0, 2: 150.0}
    visited = []
    while (index := walk.next_index()) is not None:
        visited.append(index)
        walk.record(index, scores[index])
    assert visited == [1, 2, 0]
    assert walk.best_index() == 0


def test_mode_walk_starts_at_the_modes_default_and_hints_from_the_neighbour() -> None:
    walk = ModeWalk("gthread", SPACE, 0.10)
    first = walk.next()
    assert first == (Candidate("gthread", 1, threads=4), None)
    walk.record(Candidate("gthread", 1, threads=4), 80.0)
    second = walk.next()
    assert second is not None and second[0] == Candidate("gthread", 1, threads=16)
    assert second[1] == pytest.approx(160.0)  # halfway (geometrically) to proportional growth


def test_smart_search_on_an_io_bound_app_skips_what_cannot_win() -> None:
    measure = FakeMeasure(io_bound)
    log = run_search(SearchPlan(SPACE), measure, Budget.of(3600))
    screened = [c for c, settings, _ in measure.calls if settings == "screen"]
    fine = [c for c, settings, _ in measure.calls if settings == "fine"]
    grid = SPACE.grid()
    assert len(set(screened)) < len(grid)
    assert log.not_measured and set(log.not_measured) | set(screened) == set(grid)
    # gevent keeps the core busy with one worker: nothing more of it is measured. The leaders,
    # gevent and gthread's best, are each measured again with fine trials.
    assert [c for c in screened if c.mode == "gevent"] == [Candidate("gevent", 1, worker_connections=1000)]
    assert {c.mode for c in fine} == {"gevent", "gthread"}
    assert len(fine) == 2
    # sync, at 20 req/s a worker, could not reach gevent's 1,200 even with 3 workers: not explored.
    assert [c for c in screened if c.mode == "sync"] == [Candidate("sync", 1)]
    # gthread at 80 req/s with 4 threads could, with 3 workers x 64 threads, reach it: explored.
    assert Candidate("gthread", 1, threads=16) in screened and Candidate("gthread", 1, threads=64) in screened
    assert log.not_measured[Candidate("sync", 3)].startswith("not measured: sync cannot reach the best")
    assert not log.interrupted and not log.budget_exhausted


def test_smart_search_on_a_cpu_bound_app_stops_where_the_core_is_busy() -> None:
    measure = FakeMeasure(cpu_bound)
    run_search(SearchPlan(SPACE), measure, Budget.of(3600))
    screened = [c for c, settings, _ in measure.calls if settings == "screen"]
    # Each mode's first candidate keeps the server's one core busy at its highest rate: more
    # workers, threads or connections could not add throughput, so none is measured.
    assert screened == [
        Candidate("sync", 1),
        Candidate("gthread", 1, threads=4),
        Candidate("gevent", 1, worker_connections=1000),
    ]


def test_without_a_busy_core_the_walk_tries_the_next_worker_count() -> None:
    measure = FakeMeasure(cpu_bound, cpu=lambda c: 50.0)  # as if the server had cores to spare
    run_search(SearchPlan(SPACE), measure, Budget.of(3600))
    screened = [c for c, settings, _ in measure.calls if settings == "screen"]
    # Each mode tries a second worker count, sees no growth and stops: nothing with 3 workers.
    assert max(c.workers for c in screened) == 2
    assert Candidate("sync", 2) in screened and Candidate("sync", 3) not in screened


def test_exhaustive_measures_every_candidate_finely_then_repeats_the_leaders() -> None:
    measure = FakeMeasure(io_bound)
    plan = SearchPlan(SPACE, exhaustive=True)
    log = run_search(plan, measure, Budget.of(3600))
    assert [c for c, _, _ in measure.calls[: len(SPACE.grid())]] == SPACE.grid()
    assert all(settings == "fine" for _, settings, _ in measure.calls)
    assert len(measure.calls) == len(SPACE.grid()) + plan.leaders * plan.repeats
    assert not log.not_measured


def test_ctrl_c_keeps_what_was_measured_and_lists_the_rest() -> None:
    measure = FakeMeasure(io_bound, interrupt_after=3)
    log = run_search(SearchPlan(SPACE), measure, Budget.of(3600))
    assert log.interrupted
    assert len(log.measurements) == 3
    reasons = set(log.not_measured.values())
    assert "not measured: interrupted" in reasons
    assert all(r == "not measured: interrupted" or "cannot reach the best" in r for r in reasons)
    assert set(log.not_measured) == set(SPACE.grid()) - {m.candidate for m in log.measurements}


def test_no_time_left_ends_the_search_with_a_reason() -> None:
    measure = FakeMeasure(io_bound)
    log = run_search(SearchPlan(SPACE, budget_s=60), measure, Budget.of(-1))
    assert not measure.calls
    assert set(log.not_measured) == set(SPACE.grid())
    assert all("no time left" in reason for reason in log.not_measured.values())


def test_dev_server_is_measured_as_a_reference_and_never_leads() -> None:
    space = Space(modes=("sync",), workers=(1,), dev_server=True)

    def capacity(c: Candidate) -> float:
        return 5000.0 if c.reference else 100.0

    measure = FakeMeasure(capacity)
    run_search(SearchPlan(space), measure, Budget.of(3600))
    fine = {c for c, settings, _ in measure.calls if settings == "fine"}
    assert any(c.reference for c in measure.candidates)
    assert fine == {Candidate("sync", 1)}


def test_status_of_a_fake_measurement() -> None:
    assert measured(Candidate("sync", 1), 0.1).status is Status.SLO_NOT_MET


def _cost_s(measure: FakeMeasure, log_measurements: list[Measurement]) -> float:
    """What the search would take for real: each trial's duration and overhead, each server's start."""
    from surge.tune.ratesearch import FINE, SCREEN, TRIAL_OVERHEAD_S

    settings = {"screen": SCREEN, "fine": FINE}
    total = 0.0
    for m in log_measurements:
        total += 2.5  # boot, warm-up, probes
        total += sum(
            settings[m.settings].trial_duration_s(t.level, False) + TRIAL_OVERHEAD_S for t in m.trials
        )
    return total


@pytest.mark.parametrize("capacity", [io_bound, cpu_bound])
def test_smart_costs_at_most_a_third_of_exhaustive_and_finds_its_best(capacity: Capacity) -> None:
    from surge.tune.ranking import rank

    smart_measure, full_measure = FakeMeasure(capacity), FakeMeasure(capacity)
    smart = run_search(SearchPlan(SPACE), smart_measure, Budget.of(3600))
    full = run_search(SearchPlan(SPACE, exhaustive=True), full_measure, Budget.of(3600))
    assert _cost_s(smart_measure, smart.measurements) <= _cost_s(full_measure, full.measurements) / 3
    smart_best = rank(smart, closed=False).best
    full_best = rank(full, closed=False).best
    assert smart_best is not None and full_best is not None
    assert smart_best.max_rps is not None and full_best.max_rps is not None
    assert smart_best.max_rps >= 0.95 * full_best.max_rps
