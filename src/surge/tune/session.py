"""``surge tune`` end to end as a library: validate everything, search, rank. The CLI prints.

Everything that can be checked before a server starts is checked in ``plan_tune`` (bad input is a
UsageError, exit 2): the app imports (in a separate interpreter), the load and the SLO parse,
the candidate space is not empty. ``run_tune`` then serves and measures candidates one at a time;
each server is stopped before the next starts, also on failure and on Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from surge.errors import UsageError
from surge.plan import Threshold
from surge.serve.launch import RunningServer
from surge.tune.appcheck import check_app
from surge.tune.candidates import Candidate, Space, default_max_workers
from surge.tune.cores import CoreSplit, available_cores, split_cores
from surge.tune.load import TrialLoad, prepare_load
from surge.tune.measure import Budget, CandidateMeasurer, Measurement
from surge.tune.options import DEFAULT_ERROR_RATE, DEFAULT_SLO, MIN_BUDGET_S, TuneOptions
from surge.tune.ranking import Ranking, rank
from surge.tune.ratesearch import SearchSettings
from surge.tune.search import SearchLog, SearchPlan, run_search
from surge.tune.trial import Trial


@dataclass(frozen=True)
class TunePlan:
    """The validated tune: what to load, how to judge, where to run what, and how to search."""

    options: TuneOptions
    load: TrialLoad
    slo: tuple[Threshold, ...]
    cores: CoreSplit
    search: SearchPlan
    out_dir: Path
    directory: Path

    @property
    def space(self) -> Space:
        return self.search.space


@dataclass
class TuneResult:
    plan: TunePlan
    log: SearchLog
    ranking: Ranking
    started_epoch_s: float
    elapsed_s: float
    trials: int = field(default=0)

    @property
    def interrupted(self) -> bool:
        return self.log.interrupted


def parse_slo(texts: tuple[str, ...], file_thresholds: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
    """The SLO: the given thresholds (or p99<500ms), the scenario file's, and error_rate<1%."""
    from surge.verdict.thresholds import parse_thresholds

    given = parse_thresholds(texts or (() if file_thresholds else DEFAULT_SLO))
    slo = given + file_thresholds
    if not any(t.metric == "error_rate" for t in slo):
        slo += parse_thresholds((DEFAULT_ERROR_RATE,))
    for threshold in slo:
        if threshold.metric in ("samples", "rps") and threshold.op in (">", ">="):
            raise UsageError(
                f"--slo {threshold.text!r}: a lower bound on {threshold.metric} says nothing about the"
                " server at a given rate; the tune finds the highest rate itself"
            )
    return slo


def plan_tune(options: TuneOptions, *, directory: Path | None = None) -> TunePlan:
    """Check everything before any server starts; raises UsageError (exit 2) with one line."""
    base = directory or Path.cwd()
    if ":" not in options.app or options.app.startswith(":") or options.app.endswith(":"):
        raise UsageError(f"expected MODULE:APP, got {options.app!r} (for example surge.demo:app)")
    if options.budget_s < MIN_BUDGET_S:
        raise UsageError(f"--budget must be at least {MIN_BUDGET_S:g}s (a candidate takes a few seconds)")
    if options.repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {options.repeats}")
    if options.max_workers is not None and options.max_workers < 1:
        raise UsageError(f"--max-workers must be at least 1, got {options.max_workers}")
    if options.max_workers is not None and options.workers is not None:
        raise UsageError("give --max-workers or --workers, not both")
    out_dir = (base / options.out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {options.out_dir} is a file; give a folder for the tune's page and files")
    cores = split_cores(available_cores(), options.generator_cores)
    workers = options.workers or tuple(
        range(1, (options.max_workers or default_max_workers(cores.server_cores)) + 1)
    )
    space = Space(
        modes=options.modes,
        workers=tuple(sorted(set(workers))),
        threads=options.threads,
        worker_connections=options.worker_connections,
        dev_server=options.dev_server,
    )
    load = prepare_load(options.source)
    slo = parse_slo(options.slo, load.thresholds)
    found = check_app(options.app, base)
    if options.dev_server and not found.flask:
        raise UsageError(f"--dev-server needs a Flask app; {options.app} has no run()")
    search = SearchPlan(
        space=space,
        exhaustive=options.exhaustive,
        budget_s=options.budget_s,
        repeats=options.repeats,
        server_cores=cores.server_cores,
    )
    return TunePlan(options, load, slo, cores, search, out_dir, base)


def run_tune(
    plan: TunePlan,
    *,
    on_measure: Callable[[Candidate, SearchSettings], None] | None = None,
    on_server: Callable[[Candidate, RunningServer], None] | None = None,
    on_trial: Callable[[Candidate, Trial], None] | None = None,
    on_measured: Callable[[Measurement], None] | None = None,
) -> TuneResult:
    """Measure candidates until the search is done, the budget is spent or Ctrl-C; then rank them.

    Ctrl-C (KeyboardInterrupt, or SIGTERM turned into one by the caller) stops the server being
    measured and ends the tune; what was measured until then is ranked and returned.
    """
    started_epoch_s = time.time()
    started = time.monotonic()
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    budget = Budget.of(plan.options.budget_s)
    trials = 0

    def counting(candidate: Candidate, trial: Trial) -> None:
        nonlocal trials
        trials += 1
        if on_trial is not None:
            on_trial(candidate, trial)

    measurer = CandidateMeasurer(
        plan.options.app,
        plan.load,
        plan.slo,
        plan.cores,
        plan.out_dir,
        directory=plan.directory,
        on_trial=counting,
        on_server=on_server,
    )

    def measure(
        candidate: Candidate, settings: SearchSettings, hint: float | None, budget: Budget
    ) -> Measurement:
        if on_measure is not None:
            on_measure(candidate, settings)
        measurement = measurer.measure(candidate, settings, hint=hint, budget=budget)
        if on_measured is not None:
            on_measured(measurement)
        return measurement

    log = run_search(plan.search, measure, budget)
    ranking = rank(log, closed=plan.load.closed)
    return TuneResult(plan, log, ranking, started_epoch_s, time.monotonic() - started, trials)
