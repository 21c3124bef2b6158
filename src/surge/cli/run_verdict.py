"""``surge run``'s verdict: thresholds on the run's summary, validity of the run, and the CI reports."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import TextIO

from surge.engine.client import RUN_ENDED
from surge.engine.open_model import LATE_TOLERANCE_MS
from surge.engine.run_result import AbortReason, RunResult
from surge.plan import Plan
from surge.results.sample import NON_HTTP_CODE_PREFIX
from surge.units import format_duration_s
from surge.verdict.outcome import (
    Status,
    Verdict,
    decide,
    generator_saturation_reasons,
    late_arrival_reasons,
)
from surge.verdict.thresholds import ThresholdResult, evaluate


def judge(plan: Plan, result: RunResult) -> Verdict:
    """Thresholds against the final summary; invalid if the generator saturated or sent late.

    An interrupted run, and a run in which no request got a response, get verdicts of their own
    whatever the thresholds say.
    """
    results = list(evaluate(plan.thresholds, result.labels, result.total))
    aborted = result.aborted_by
    if aborted is not None:
        # The run was cut short on this threshold: it failed, even if the final figures would pass.
        results = [_as_aborted(r, aborted) if r.threshold == aborted.threshold else r for r in results]
    invalid = generator_saturation_reasons(result.worker_cpu_s, result.duration_s, result.processes)
    invalid += late_arrival_reasons(
        result.arrivals, result.late_arrivals, result.unsent_arrivals, LATE_TOLERANCE_MS
    )
    # A cluster worker lost mid-run: the load applied after that fell short of the plan.
    invalid += tuple(
        f"{lost.describe()}: the load after that fell short of the plan" for lost in result.lost_workers
    )
    return decide(
        results,
        invalid,
        interrupted=interruption_cause(result) if result.interrupted else "",
        no_response=no_response_cause(result) if result.responses == 0 else "",
    )


def interruption_cause(result: RunResult) -> str:
    """``the run was interrupted after 4s of 1m30s``."""
    planned = f" of {format_duration_s(result.planned_duration_s)}" if result.planned_duration_s else ""
    return f"the run was interrupted after {format_duration_s(result.duration_s)}{planned}"


def no_response_cause(result: RunResult) -> str:
    """Why not one request got a response, in the target's terms: refused, never answered, ..."""
    samples = result.total.samples
    if samples == 0:
        return "no request was made"
    where = " and ".join(result.origins) or "the target"
    counts = dict(result.top_errors)
    refused = sum(n for kind, n in counts.items() if kind.startswith(_REFUSED))
    if refused == samples:
        return f"every connection to {where} was refused ({samples} attempts)"
    none = f"no request got a complete response from {where}"
    if result.waiting_at_end == samples:
        return f"{none}: all {samples} were still waiting when the run ended"
    kinds = ", ".join(f"{n} x {kind}" for kind, n in list(counts.items())[:3])
    return f"{none} ({samples} attempts): {kinds}"


_REFUSED = f"{NON_HTTP_CODE_PREFIX}ConnectionRefusedError"


def waiting_at_end_text(result: RunResult) -> str:
    """``20 requests were still waiting when the run ended ...``, or empty when none was."""
    n = result.waiting_at_end
    if not n:
        return ""
    when = (
        "when the run was interrupted"
        if result.interrupted
        else f"when the run ended ({format_duration_s(result.graceful_stop_s)} after its planned end)"
    )
    requests = "request was" if n == 1 else "requests were"
    return (
        f"{n} {requests} still waiting {when}: recorded as failed samples "
        f"({NON_HTTP_CODE_PREFIX}{RUN_ENDED}, elapsed = the time waited)"
    )


def _as_aborted(final: ThresholdResult, aborted: AbortReason) -> ThresholdResult:
    return replace(
        final, passed=False, reason=f"{aborted.reason} (run aborted on it; at the end: {final.reason})"
    )


def print_verdict(plan: Plan, result: RunResult, verdict: Verdict, stream: TextIO, *, judged: bool) -> None:
    """Arrivals of an open run, each threshold's outcome, and the verdict with its reasons.

    ``judged``: the run asked for a verdict (thresholds or CI reports), so its exit code follows it.
    """
    if result.arrivals:
        stream.write(
            f"Arrivals: {result.arrivals}, late (> {LATE_TOLERANCE_MS} ms after the intended time): "
            f"{result.late_arrivals}, never sent: {result.unsent_arrivals}, longest queueing delay: "
            f"{result.max_queue_ms} ms\n"
        )
    if result.aborted_by is not None:
        stream.write(
            f"Aborted: threshold {result.aborted_by.threshold.text} failed ({result.aborted_by.reason})\n"
        )
    for r in verdict.thresholds:
        stream.write(f"Threshold {'passed' if r.passed else 'FAILED'}: {r.threshold.text}  ({r.reason})\n")
    for reason in verdict.invalid_reasons:
        stream.write(f"Invalid run: {reason}\n")
    if verdict.status in (Status.INTERRUPTED, Status.NO_RESPONSE):
        # Never green, judged or not: a slice of the plan, or a target that never answered.
        word = "INTERRUPTED" if verdict.status is Status.INTERRUPTED else "NO RESPONSE"
        stream.write(f"Verdict: {word}: {verdict.cause} (exit code {verdict.exit_code})\n")
        stream.flush()
        return
    if not judged:
        if verdict.invalid_reasons:
            stream.write("Exit code 0: no threshold was given; add --threshold to fail such a run (exit 4)\n")
        stream.flush()
        return
    if plan.thresholds or verdict.invalid_reasons:
        failed = len(verdict.failed_thresholds)
        words = {
            Status.PASSED: "passed",
            Status.THRESHOLDS_FAILED: f"FAILED ({failed} threshold(s))",
            Status.INVALID: "INVALID",
        }
        stream.write(f"Verdict: {words[verdict.status]} (exit code {verdict.exit_code})\n")
    stream.flush()


def write_ci_reports(
    result: RunResult, verdict: Verdict, *, junit: str | None, summary_json: str | None
) -> None:
    if junit is None and summary_json is None:
        return
    # Imported only when asked for: XML and JSON writing are not needed by most runs.
    from surge.verdict.ci_reports import summary_document, write_junit, write_summary_json

    if junit is not None:
        write_junit(Path(junit), verdict, result.duration_s)
    if summary_json is not None:
        document = summary_document(
            verdict,
            results_file=result.out_path,
            duration_s=result.duration_s,
            labels=result.labels,
            total=result.total,
            interrupted=result.interrupted,
        )
        document["aborted_by"] = result.aborted_by.threshold.text if result.aborted_by is not None else None
        document["waiting_at_end"] = result.waiting_at_end
        document["processes"] = result.processes
        document["generator_cpu_s"] = result.worker_cpu_s  # the workers' CPU during the run
        document["lost_workers"] = [asdict(lost) for lost in result.lost_workers]
        document["responses"] = result.responses
        document["no_response"] = result.no_response
        document["arrivals"] = {
            "total": result.arrivals,
            "late": result.late_arrivals,
            "unsent": result.unsent_arrivals,
            "late_tolerance_ms": LATE_TOLERANCE_MS,
            "max_queue_ms": result.max_queue_ms,
        }
        write_summary_json(Path(summary_json), document)
