"""Ranking: the best run is the figure, overlapping ranges are within the noise, the cheaper of tied
candidates is recommended, and without a recommendation the closest candidate is named."""

from __future__ import annotations

from surge.tune.candidates import Candidate
from surge.tune.measure import Measurement, Status
from surge.tune.ranking import rank, within_noise
from surge.tune.search import SearchLog
from surge.tune.trial import Outcome
from tune_fakes import fine, measured, trial

SYNC1 = Candidate("sync", 1)
SYNC2 = Candidate("sync", 2)
GTHREAD1 = Candidate("gthread", 1, threads=4)
GEVENT1 = Candidate("gevent", 1, worker_connections=1000)
GEVENT1_100 = Candidate("gevent", 1, worker_connections=100)


def log_of(*measurements: Measurement, not_measured: dict[Candidate, str] | None = None) -> SearchLog:
    log = SearchLog("smart")
    for m in measurements:
        log.add(m)
    log.not_measured.update(not_measured or {})
    return log


def test_clear_winner_is_recommended_and_ranked_first() -> None:
    ranking = rank(
        log_of(fine(SYNC1, 20), fine(GEVENT1, 1200), fine(GEVENT1, 1150), fine(GTHREAD1, 80)), closed=False
    )
    assert ranking.recommendation is not None and ranking.recommendation.candidate == GEVENT1
    assert [r.candidate for r in ranking.ranked] == [GEVENT1, GTHREAD1, SYNC1]
    assert not ranking.top_two_within_noise
    gevent = ranking.results[0]
    assert gevent.repeats == 2 and gevent.ranked_on == "fine"
    # The best run is the figure; the range runs from the lower run to the best plus its precision.
    assert gevent.max_rps is not None and gevent.low is not None and gevent.high is not None
    assert gevent.low < gevent.max_rps < gevent.high
    assert gevent.spread is not None and gevent.spread > 0


def test_within_the_noise_the_cheaper_candidate_is_recommended() -> None:
    # On a CPU-bound app every mode serves about the same: one worker of the simplest mode wins.
    ranking = rank(log_of(fine(SYNC2, 410), fine(GEVENT1, 405), fine(SYNC1, 400)), closed=False)
    assert ranking.best is not None and ranking.best.candidate == SYNC2
    assert ranking.top_two_within_noise
    assert ranking.recommendation is not None and ranking.recommendation.candidate == SYNC1
    assert {r.candidate for r in ranking.tied} == {SYNC1, SYNC2, GEVENT1}


def test_gevent_default_connections_preferred_when_tied() -> None:
    ranking = rank(log_of(fine(GEVENT1_100, 1000), fine(GEVENT1, 990)), closed=False)
    assert ranking.recommendation is not None and ranking.recommendation.candidate == GEVENT1


def test_the_figure_is_the_best_run_and_the_range_spans_them_all() -> None:
    ranking = rank(log_of(measured(GEVENT1, 3000), fine(GEVENT1, 1000)), closed=False)
    result = ranking.results[0]
    assert result.ranked_on == "screen" and result.max_rps is not None and 2600 <= result.max_rps <= 3000
    assert result.low is not None and result.low <= 1000 and result.repeats == 2


def test_a_leaders_lower_second_run_does_not_sink_it_below_a_screened_rival() -> None:
    # A CPU-bound app: the leaders (gthread, sync) were measured again, lower; gevent only once.
    log = log_of(
        measured(SYNC1, 774),
        measured(GTHREAD1, 826),
        measured(GEVENT1, 765),
        fine(GTHREAD1, 734),
        fine(SYNC1, 642),
    )
    ranking = rank(log, closed=False)
    assert ranking.best is not None and ranking.best.candidate == GTHREAD1
    assert {r.candidate for r in ranking.tied} == {SYNC1, GTHREAD1, GEVENT1}
    assert ranking.recommendation is not None and ranking.recommendation.candidate == SYNC1


def test_within_noise_is_overlap_of_ranges() -> None:
    ranking = rank(log_of(fine(SYNC1, 100), fine(GEVENT1, 1000)), closed=False)
    sync, gevent = ranking.results[1], ranking.results[0]
    assert not within_noise(sync, gevent) and within_noise(gevent, gevent)


def test_reference_row_is_ranked_but_never_recommended() -> None:
    dev = Candidate("flask-threaded", 1)
    ranking = rank(log_of(fine(dev, 5000), fine(SYNC1, 100)), closed=False)
    assert ranking.results[0].candidate == dev
    assert ranking.recommendation is not None and ranking.recommendation.candidate == SYNC1


def test_no_candidate_meets_the_slo_names_the_closest() -> None:
    near = Measurement(
        SYNC1,
        "screen",
        Status.SLO_NOT_MET,
        trials=(trial(1.0, Outcome.FAILED, slo_ratio=1.5, reason="p99<1ms: p99 = 1.5 ms"),),
        reason="did not meet the SLO at the lowest level (1)",
    )
    far = Measurement(
        GEVENT1, "screen", Status.SLO_NOT_MET, trials=(trial(1.0, Outcome.FAILED, slo_ratio=9.0),), reason="x"
    )
    ranking = rank(log_of(far, near), closed=False)
    assert ranking.recommendation is None
    assert ranking.closest is not None and ranking.closest.candidate == SYNC1
    assert ranking.closest_trial is not None and ranking.closest_trial.slo_ratio == 1.5


def test_failed_and_unmeasured_rows_come_last_with_their_reasons() -> None:
    crashed = Measurement(SYNC2, "screen", Status.FAILED, reason="did not start: boom")
    ranking = rank(
        log_of(fine(SYNC1, 100), crashed, not_measured={GTHREAD1: "not measured: no time"}), closed=False
    )
    assert [(r.candidate, r.status) for r in ranking.results] == [
        (SYNC1, Status.OK),
        (SYNC2, Status.FAILED),
        (GTHREAD1, Status.NOT_MEASURED),
    ]
    assert ranking.results[1].reason == "did not start: boom"
    assert ranking.results[2].reason == "not measured: no time"


def test_closed_model_ranks_on_the_rate_the_users_achieved() -> None:
    m = fine(SYNC1, 10)  # levels are users here; the fake's rate equals the level
    ranking = rank(log_of(m), closed=True)
    assert ranking.results[0].max_rps == (m.best.rate_per_s if m.best else None)


def _disturbed(m: Measurement, share: float) -> Measurement:
    """The same run, with other programs taking ``share`` of the cores during its trials."""
    from dataclasses import replace

    trials = tuple(replace(t, foreign_cpu_share=share) for t in m.trials)
    best = next(t for t in trials if m.best is not None and t.level == m.best.level)
    return replace(m, trials=trials, best=best)


def test_a_run_disturbed_by_other_programs_may_be_better_than_measured() -> None:
    # Quiet, gevent at 1,000 is clearly above sync at 600 (ranges 600-630 and 1,000-1,050)...
    quiet = rank(log_of(fine(SYNC1, 600), fine(GEVENT1, 1000)), closed=False)
    assert quiet.recommendation is not None and quiet.recommendation.candidate == GEVENT1
    assert not quiet.top_two_within_noise
    # ...but sync measured while others took half of the cores could serve up to twice as much:
    # the two cannot be told apart, and the cheaper one is recommended.
    disturbed = rank(log_of(_disturbed(fine(SYNC1, 600), 0.5), fine(GEVENT1, 1000)), closed=False)
    sync = next(r for r in disturbed.results if r.candidate == SYNC1)
    assert sync.high == 1200.0 * (sync.max_rps or 0) / 600.0
    assert disturbed.top_two_within_noise
    assert disturbed.recommendation is not None and disturbed.recommendation.candidate == SYNC1
