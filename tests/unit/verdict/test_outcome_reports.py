"""Verdicts, exit codes and the JUnit / JSON documents written for CI systems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from surge.engine.summary import LabelSummary
from surge.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_INVALID_RUN, EXIT_OK, EXIT_THRESHOLDS_FAILED
from surge.verdict.ci_reports import summary_document, write_junit, write_summary_json
from surge.verdict.outcome import Status, decide, generator_saturation_reasons
from surge.verdict.thresholds import evaluate, parse_threshold

TOTAL = LabelSummary("TOTAL", 100, 2, 2.0, 50.0, 1.0, 40.0, 90.0, 120.0, 300.0, 400.0, 100.0, 5.0, 1.0)


def test_exit_codes() -> None:
    passed = evaluate([parse_threshold("p95<200ms")], [], TOTAL)
    failed = evaluate([parse_threshold("p95<100ms")], [], TOTAL)
    assert decide(passed, ()).exit_code == EXIT_OK
    assert decide(failed, ()).exit_code == EXIT_THRESHOLDS_FAILED
    # An invalid run outranks failed thresholds.
    assert decide(failed, ("generator saturated",)).exit_code == EXIT_INVALID_RUN
    assert len({EXIT_OK, EXIT_THRESHOLDS_FAILED, EXIT_INVALID_RUN}) == 3


def test_saturation() -> None:
    assert generator_saturation_reasons(worker_cpu_s=5.0, duration_s=10.0, processes=1) == ()
    (reason,) = generator_saturation_reasons(worker_cpu_s=19.5, duration_s=10.0, processes=2)
    assert "bottleneck" in reason and "98%" in reason


def test_junit_one_case_per_threshold(tmp_path: Path) -> None:
    results = evaluate([parse_threshold(t) for t in ("p95<200ms", "error_rate<1%")], [], TOTAL)
    path = tmp_path / "junit.xml"
    write_junit(path, decide(results, ()), duration_s=12.5)
    root = ET.parse(path).getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["p95<200ms", "error_rate<1%"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and "2.00%" in (failure.get("message") or "")
    assert root.get("failures") == "1"


def test_junit_invalid_run_case(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(path, decide((), ("generator saturated",)), duration_s=1.0)
    cases = ET.parse(path).getroot().findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["run is valid"]


def test_summary_json(tmp_path: Path) -> None:
    verdict = decide(evaluate([parse_threshold("rps>500")], [], TOTAL), ())
    document = summary_document(
        verdict, results_file=Path("r.jtl"), duration_s=10.0, labels=(TOTAL,), total=TOTAL, interrupted=False
    )
    path = tmp_path / "summary.json"
    write_summary_json(path, document)
    loaded = json.loads(path.read_text())
    assert loaded["verdict"] == "thresholds_failed"
    assert loaded["exit_code"] == EXIT_THRESHOLDS_FAILED
    assert loaded["thresholds"][0]["actual"] == 100.0
    assert loaded["total"]["p95_ms"] == 120.0


def test_interrupted_and_no_response_outrank_everything(tmp_path: Path) -> None:
    passed = evaluate([parse_threshold("p95<200ms")], [], TOTAL)
    interrupted = decide(passed, (), interrupted="the run was interrupted after 4s of 1m30s")
    assert interrupted.status == "interrupted" and interrupted.exit_code == EXIT_INTERRUPTED
    # Interrupted outranks no response, which outranks an invalid run.
    both = decide(passed, ("generator saturated",), interrupted="cut", no_response="refused")
    assert both.status is Status.INTERRUPTED
    unanswered = decide(passed, ("generator saturated",), no_response="every connection was refused")
    assert unanswered.status is Status.NO_RESPONSE and unanswered.exit_code == EXIT_FAILURE
    assert unanswered.invalid_reasons == ()  # never blames the generator for the target
    path = tmp_path / "junit.xml"
    write_junit(path, interrupted, duration_s=4.0)
    root = ET.parse(path).getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["p95<200ms", "run completed"]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "Interrupted"
    assert root.get("failures") == "1"
    write_junit(path, unanswered, duration_s=4.0)
    names = [c.get("name") for c in ET.parse(path).getroot().findall("./testsuite/testcase")]
    assert names == ["p95<200ms", "target responded"]
    document = summary_document(
        interrupted,
        results_file=Path("r.jtl"),
        duration_s=4.0,
        labels=(TOTAL,),
        total=TOTAL,
        interrupted=True,
    )
    assert document["verdict"] == "interrupted" and document["exit_code"] == 130
    assert document["cause"] == "the run was interrupted after 4s of 1m30s"
