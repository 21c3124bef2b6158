"""``surge run``'s verdict: thresholds on the run's summary, validity of the run, and the CI reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TextIO

from surge.engine.open_model import LATE_TOLERANCE_MS
from surge.engine.runner import RunResult
from surge.plan import Plan
from surge.verdict.outcome import Verdict, decide, generator_saturation_reasons, late_arrival_reasons
from surge.verdict.thresholds import ThresholdResult, evaluate


def judge(plan: Plan, result: RunResult) -> Verdict:
    """Thresholds against the final summary; invalid if the generator saturated or sent late."""
    results = list(evaluate(plan.thresholds, result.labels, result.total))
    aborted = result.aborted_by
    if aborted is not None:
        # The run was cut short on this threshold: it failed, even if the final figures would pass.
        results = [_as_aborted(r, aborted) if r.threshold == aborted.threshold else r for r in results]
    invalid = generator_saturation_reasons(result.worker_cpu_s, result.duration_s, result.processes)
    invalid += late_arrival_reasons(
        result.arrivals, result.late_arrivals, result.unsent_arrivals, LATE_TOLERANCE_MS
    )
    return decide(results, invalid)


def _as_aborted(final: ThresholdResult, aborted: ThresholdResult) -> ThresholdResult:
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
    if not judged:
        if verdict.invalid_reasons:
            stream.write("Exit code 0: no threshold was given; add --threshold to fail such a run (exit 4)\n")
        stream.flush()
        return
    if plan.thresholds or verdict.invalid_reasons:
        failed = len(verdict.failed_thresholds)
        words = {
            "passed": "passed",
            "thresholds_failed": f"FAILED ({failed} threshold(s))",
            "invalid": "INVALID",
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
        document["arrivals"] = {
            "total": result.arrivals,
            "late": result.late_arrivals,
            "unsent": result.unsent_arrivals,
            "late_tolerance_ms": LATE_TOLERANCE_MS,
            "max_queue_ms": result.max_queue_ms,
        }
        write_summary_json(Path(summary_json), document)
