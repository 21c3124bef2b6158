"""One trial: load a running server at one level for a few seconds, judge it against the SLO, and
record the server's CPU and memory meanwhile.

A trial passes when every SLO threshold holds on its figures and, at an arrival rate, the server
kept up with it (``surge.tune.backlog``: the last requests were not answered markedly slower than
the first). It is not trusted either way when
the load generator was the bottleneck (its processes used nearly all of their cores): such a trial
is ``generator_limited``. A trial in which no request got a response says the server stopped
answering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from surge.engine.run_result import Progress, RunResult
from surge.monitor import TreeSample, TreeSampler, cpu_percent_between
from surge.plan import Threshold
from surge.tune.backlog import LatencyTrend, latency_trend
from surge.tune.cores import CoreSplit, core_clock, foreign_share
from surge.tune.load import TrialLoad
from surge.verdict.live import WARMUP_S, LiveThresholds
from surge.verdict.outcome import generator_saturation_reasons
from surge.verdict.thresholds import ThresholdResult, evaluate

# A trial that has failed for good after this long ends there: the rest would only pile up
# requests the server then has to work off before the next trial.
EARLY_FAIL_S = 1.0
DEFAULT_LATENCY_LIMIT_S = 1.0
# Above this share of the tune's cores used by other programs, a trial is disturbed.
DISTURBED_SHARE = 0.25
_TIME_METRICS = {"p50", "med", "median", "p90", "p95", "p99", "avg", "mean", "max"}


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # an SLO threshold did not hold
    LIMITED = "generator_limited"  # the load generator, not the server, was the bottleneck
    NO_RESPONSE = "no_response"  # not one request got an HTTP response
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Trial:
    """The figures of one trial at one load ``level`` (requests per second, or users)."""

    level: float
    rate_per_s: float  # achieved: samples over the trial's duration
    response_rate_per_s: (
        float  # samples that got a response (any status) per second: an overloaded server's pace
    )
    duration_s: float
    samples: int
    error_pct: float
    p50_ms: float
    p99_ms: float
    outcome: Outcome
    reason: str  # the threshold that failed, or why the trial cannot be trusted; empty if passed
    server_cpu_percent: float  # of one core, summed over the server's processes
    server_rss_bytes: int  # the largest sum of the server's processes' RSS seen
    generator_cpu_share: float  # of the generator's cores
    server_alive: bool  # the server's master was still running at the end
    # How far the worst SLO threshold was from its limit: actual / limit for an upper bound
    # (limit / actual for a lower bound); up to 1.0 it held. 0.0 when nothing was judged.
    slo_ratio: float = 0.0
    # The share of the tune's cores that other programs used meanwhile (see cores.foreign_share).
    foreign_cpu_share: float = 0.0
    # Failed in a way a lower load would not cure: the server kept up with the load, yet the
    # typical request was slower than the SLO allows, or most requests were errors.
    hopeless: bool = False

    @property
    def disturbed(self) -> bool:
        """Other programs took enough of the cores that a failure may be theirs, not the server's."""
        return self.foreign_cpu_share > DISTURBED_SHARE


def latency_limit_s(slo: tuple[Threshold, ...]) -> float:
    """The loosest upper bound on a time metric in the SLO, in seconds (1 s when there is none)."""
    limits = [t.value / 1000.0 for t in slo if t.metric in _TIME_METRICS and t.op in ("<", "<=")]
    return max(limits) if limits else DEFAULT_LATENCY_LIMIT_S


def slo_ratio(results: tuple[ThresholdResult, ...]) -> float:
    """The worst threshold's distance to its limit (see Trial.slo_ratio); inf for one without samples."""
    worst = 0.0
    for r in results:
        limit = r.threshold.value
        if r.actual is None:
            return math.inf
        if r.threshold.op in ("<", "<="):
            ratio = r.actual / limit if limit > 0 else (math.inf if r.actual > 0 else 0.0)
        else:
            ratio = limit / r.actual if r.actual > 0 else math.inf
        worst = max(worst, ratio)
    return worst


class EarlyFail:
    """The abort check of a trial: ``--abort-on-fail``'s rule, with a warm-up of one second.

    ``surge run`` waits WARMUP_S before judging percentiles, for runs of minutes; a trial lasts
    seconds, is preceded by a warm-up of its own, and one that fails after EARLY_FAIL_S has failed.
    """

    def __init__(self, thresholds: tuple[Threshold, ...]) -> None:
        self._live = LiveThresholds(thresholds)

    def add(self, label: str, samples: int, errors: int, max_us: int, encoded_histogram: bytes) -> None:
        self._live.add(label, samples, errors, max_us, encoded_histogram)

    def failed(self, elapsed_s: float) -> ThresholdResult | None:
        if elapsed_s < EARLY_FAIL_S:
            return None
        return self._live.failed(max(elapsed_s, WARMUP_S))


class TrialRunner:
    """Runs trials against one running server (its base URL and master pid)."""

    def __init__(
        self,
        load: TrialLoad,
        slo: tuple[Threshold, ...],
        *,
        base_url: str,
        server_pid: int,
        results_path: Path,
        cores: CoreSplit,
    ) -> None:
        self.cores = cores
        self.load = load
        self.slo = slo
        self.base_url = base_url
        self.server_pid = server_pid
        self.results_path = results_path
        self.limit_s = latency_limit_s(slo)

    def max_in_flight(self, level: float) -> int:
        """Twice what the rate needs at the latency limit (Little's law): it never binds while the
        server keeps up, and it bounds the backlog an overloaded server is left with."""
        return max(10, min(5000, math.ceil(level * self.limit_s * 2) + 10))

    def graceful_stop_s(self) -> float:
        return min(2 * self.limit_s + 0.5, 5.0)

    def run(self, level: float, duration_s: float, *, judge: bool = True) -> Trial:
        """Load the server at ``level`` for ``duration_s``; ``judge=False`` for a warm-up."""
        from surge.engine.runner import run_plan

        plan = self.load.plan(
            self.base_url,
            level,
            duration_s,
            max_in_flight=self.max_in_flight(level),
            graceful_stop_s=self.graceful_stop_s(),
        )
        if judge and self.slo:
            # The workers send per-label figures each second only to a run that may be aborted.
            plan = replace(plan, thresholds=self.slo, abort_on_fail=True)
        sampler = TreeSampler(pid=self.server_pid)
        clock = core_clock()
        first = sampler.sample()
        ticks: list[TreeSample] = []

        def on_progress(progress: Progress) -> None:
            ticks.append(sampler.sample())

        self.results_path.unlink(missing_ok=True)
        result = run_plan(
            plan,
            self.results_path,
            on_progress=on_progress,
            abort_check=EarlyFail(self.slo) if judge and self.slo else None,
        )
        last = sampler.sample()
        foreign = foreign_share(clock, core_clock(), self.cores, max(0.0, last.cpu_s - first.cpu_s))
        # Users wait for each answer, so a closed-model server cannot fall behind its load.
        trend = latency_trend(self.results_path) if judge and not self.load.closed else None
        self.results_path.unlink(missing_ok=True)
        return replace(self._trial(level, result, first, ticks, last, trend), foreign_cpu_share=foreign)

    def _trial(
        self,
        level: float,
        result: RunResult,
        first: TreeSample,
        ticks: list[TreeSample],
        last: TreeSample,
        trend: LatencyTrend | None = None,
    ) -> Trial:
        span = ticks if len(ticks) >= 2 else [first, last]
        cpu = cpu_percent_between(span[0], span[-1])
        rss = max(s.rss_bytes for s in (first, *ticks, last))
        share = (
            result.worker_cpu_s / (result.duration_s * result.processes)
            if result.duration_s > 0 and result.processes
            else 0.0
        )
        outcome, reason = self._judge(result, trend)
        ratio = slo_ratio(evaluate(self.slo, result.labels, result.total))
        total = result.total
        response_rate = result.responses / result.duration_s if result.duration_s > 0 else 0.0
        kept_up = (level <= 1) if self.load.closed else response_rate >= 0.9 * level
        hopeless = (
            outcome is Outcome.FAILED
            and kept_up
            and (total.p50_ms > self.limit_s * 1000.0 or total.error_pct >= 50.0)
        )
        return Trial(
            level=level,
            rate_per_s=total.rate_per_s,
            response_rate_per_s=response_rate,
            duration_s=result.duration_s,
            samples=total.samples,
            error_pct=total.error_pct,
            p50_ms=total.p50_ms,
            p99_ms=total.p99_ms,
            outcome=outcome,
            reason=reason,
            server_cpu_percent=cpu,
            server_rss_bytes=rss,
            generator_cpu_share=share,
            server_alive=last.root_alive,
            slo_ratio=ratio,
            hopeless=hopeless,
        )

    def _judge(self, result: RunResult, trend: LatencyTrend | None = None) -> tuple[Outcome, str]:
        if result.interrupted:
            return Outcome.INTERRUPTED, "interrupted"
        if result.responses == 0:
            kinds = ", ".join(f"{n} x {kind}" for kind, n in result.top_errors[:3])
            return Outcome.NO_RESPONSE, f"no request got a response ({result.total.samples} sent: {kinds})"
        saturated = generator_saturation_reasons(result.worker_cpu_s, result.duration_s, result.processes)
        if saturated:
            return Outcome.LIMITED, saturated[0]
        if result.aborted_by is not None:
            aborted = result.aborted_by
            return Outcome.FAILED, f"{aborted.threshold.text}: {aborted.reason} (the trial was ended there)"
        failed = [r for r in evaluate(self.slo, result.labels, result.total) if not r.passed]
        if failed:
            return Outcome.FAILED, f"{failed[0].threshold.text}: {failed[0].reason}"
        if trend is not None and trend.fell_behind(self.limit_s * 1000.0):
            # Within the SLO only because the trial ended before the queue grew past it.
            return Outcome.FAILED, trend.describe()
        # Requests sent late (the generator was descheduled, or waited for a free connection) do
        # not make a pass doubtful: latency runs from the intended send time, so the delay counts
        # against the candidate, and the SLO held anyway.
        return Outcome.PASSED, ""
