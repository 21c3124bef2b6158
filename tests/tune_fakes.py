"""Trials, measurements and a whole tune made up for the tune's tests (no server, no socket)."""

from __future__ import annotations

from pathlib import Path

from surge.tune.candidates import Candidate
from surge.tune.measure import Measurement, Status
from surge.tune.ratesearch import FINE, SCREEN, SearchSettings, search_max
from surge.tune.session import TuneResult
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
    response_rate: float | None = None,
    cpu_percent: float = 50.0,
) -> Trial:
    return Trial(
        level=level,
        rate_per_s=level,
        response_rate_per_s=level if response_rate is None else response_rate,
        duration_s=2.0,
        samples=int(level * 2),
        error_pct=error_pct,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        outcome=outcome,
        reason=reason,
        server_cpu_percent=cpu_percent,
        server_rss_bytes=64 * 1024 * 1024,
        generator_cpu_share=0.1,
        server_alive=True,
        slo_ratio=slo_ratio,
        foreign_cpu_share=foreign,
        hopeless=hopeless,
    )


class Server:
    """A made-up server that meets the SLO up to ``capacity``; records the levels it was tried at."""

    def __init__(
        self,
        capacity: float,
        *,
        limited_above: float | None = None,
        paced: bool = True,
        cpu_at_capacity: float = 50.0,
    ) -> None:
        self.capacity = capacity
        self.paced = paced
        self.cpu_at_capacity = cpu_at_capacity
        self.limited_above = limited_above
        self.levels: list[float] = []

    def __call__(self, level: float) -> Trial:
        self.levels.append(level)
        if self.limited_above is not None and level > self.limited_above:
            return trial(level, Outcome.LIMITED, reason="the load generator was the bottleneck")
        if level <= self.capacity:
            return trial(level, cpu_percent=self.cpu_at_capacity * level / self.capacity)
        # Overloaded, the server answers at its own pace (its capacity); the rest wait and fail.
        return trial(
            level,
            Outcome.FAILED,
            p99_ms=900.0,
            reason="p99<500ms: p99 = 900.0 ms",
            slo_ratio=1.8,
            response_rate=self.capacity if self.paced else 0.0,
        )


def measured(
    candidate: Candidate,
    capacity: float,
    settings: SearchSettings = SCREEN,
    hint: float | None = None,
    cpu_at_capacity: float = 50.0,
) -> Measurement:
    """A measurement as the real search would make it against a server of ``capacity``."""
    result = search_max(Server(capacity, cpu_at_capacity=cpu_at_capacity), settings, closed=False, hint=hint)
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


def tune_result(out_dir: Path, *, app: str = "surge.demo:app", interrupted: bool = False) -> TuneResult:
    """A finished tune of made-up measurements: gevent leads, sync trails, one candidate failed,
    one was not measured, and Flask's development server is the reference row."""
    from surge.tune.candidates import Space, reference_candidate
    from surge.tune.cores import CoreSplit
    from surge.tune.load import LoadSource, path_requests, prepare_load
    from surge.tune.ranking import rank
    from surge.tune.search import SearchLog, SearchPlan
    from surge.tune.session import TuneOptions, TunePlan, parse_slo

    source = LoadSource(requests=path_requests(("/io",)))
    space = Space(modes=("sync", "gevent"), workers=(1, 2), worker_connections=(1000,), dev_server=True)
    options = TuneOptions(app=app, source=source, modes=space.modes, workers=space.workers, out_dir=out_dir)
    plan = TunePlan(
        options,
        prepare_load(source),
        parse_slo((), ()),
        CoreSplit((0,), (1,)),
        SearchPlan(space),
        out_dir,
        out_dir,
    )
    gevent = Candidate("gevent", 1, worker_connections=1000)
    log = SearchLog("smart")
    for m in (
        measured(Candidate("sync", 1), 20.0),
        measured(gevent, 1200.0),
        fine(gevent, 1180.0),
        fine(gevent, 1100.0),
        measured(reference_candidate(), 300.0),
        Measurement(Candidate("sync", 2), "screen", Status.FAILED, reason="did not start: boom <b>"),
    ):
        log.add(m)
    log.not_measured[Candidate("gevent", 2, worker_connections=1000)] = (
        "not measured: the search stopped short of it"
    )
    log.interrupted = interrupted
    return TuneResult(plan, log, rank(log, closed=False), 1_700_000_000.0, 95.0, trials=40)
