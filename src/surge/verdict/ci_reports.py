"""Write a run's verdict for CI systems: JUnit XML (one test case per threshold) and a JSON summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path
from typing import Any

from surge.engine.summary import LabelSummary
from surge.verdict.outcome import Status, Verdict


def write_junit(path: Path, verdict: Verdict, duration_s: float) -> None:
    """One ``testcase`` per threshold; an invalid, interrupted or unanswered run adds a failing case.

    The extra cases: ``run is valid`` (InvalidRun), ``run completed`` (Interrupted: a slice of
    the plan must not pass CI), ``target responded`` (NoResponse).
    """
    cases: list[ET.Element] = []
    for result in verdict.thresholds:
        case = ET.Element("testcase", name=result.threshold.text, classname="surge.thresholds", time="0")
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.reason, type="ThresholdFailed")
            failure.text = result.reason
        else:
            ET.SubElement(case, "system-out").text = result.reason
        cases.append(case)
    if verdict.invalid_reasons:
        cases.append(_failing_case("run is valid", "InvalidRun", "; ".join(verdict.invalid_reasons)))
    if verdict.status is Status.INTERRUPTED:
        cases.append(_failing_case("run completed", "Interrupted", verdict.cause))
    elif verdict.status is Status.NO_RESPONSE:
        cases.append(_failing_case("target responded", "NoResponse", verdict.cause))
    failures = sum(1 for case in cases if case.find("failure") is not None)
    suite = ET.Element(
        "testsuite",
        name="surge",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{duration_s:.3f}",
    )
    suite.extend(cases)
    root = ET.Element("testsuites", tests=str(len(cases)), failures=str(failures), time=f"{duration_s:.3f}")
    root.append(suite)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _failing_case(name: str, kind: str, message: str) -> ET.Element:
    case = ET.Element("testcase", name=name, classname="surge.run", time="0")
    ET.SubElement(case, "failure", message=message, type=kind).text = message
    return case


def summary_document(
    verdict: Verdict,
    *,
    results_file: Path,
    duration_s: float,
    labels: tuple[LabelSummary, ...],
    total: LabelSummary,
    interrupted: bool,
) -> dict[str, Any]:
    """The machine-readable summary of a run (what ``--summary-json`` writes)."""
    return {
        "verdict": verdict.status.value,
        "exit_code": verdict.exit_code,
        "cause": verdict.cause or None,
        "results_file": str(results_file),
        "duration_s": duration_s,
        "interrupted": interrupted,
        "total": asdict(total),
        "labels": [asdict(summary) for summary in labels],
        "thresholds": [
            {
                "threshold": r.threshold.text,
                "label": r.threshold.label,
                "metric": r.threshold.metric,
                "op": r.threshold.op,
                "limit": r.threshold.value,
                "actual": r.actual,
                "passed": r.passed,
                "reason": r.reason,
            }
            for r in verdict.thresholds
        ],
        "invalid_reasons": list(verdict.invalid_reasons),
    }


def write_summary_json(path: Path, document: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
