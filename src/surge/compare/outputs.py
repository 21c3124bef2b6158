"""The comparison for machines: the JSON document (comparison.json, --json) and JUnit XML (--junit)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from surge.compare.diff import METRICS, Change, Comparison
from surge.compare.gate import Check, GateResult
from surge.compare.trend import TrendRow
from surge.errors import EXIT_OK, EXIT_THRESHOLDS_FAILED


def exit_code(gate: GateResult) -> int:
    """0 without regression, 3 with one (the exit code of ``surge run`` whose thresholds failed)."""
    return EXIT_OK if gate.passed else EXIT_THRESHOLDS_FAILED


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such a value is written as null."""
    if value is None or not math.isfinite(value):
        return None
    return value


def _change(change: Change, alpha: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "baseline": _number(change.base),
        "candidate": _number(change.cand),
        "absolute": _number(change.absolute),
        "relative": _number(change.relative),
    }
    test = change.test
    if test is None:
        return entry
    entry["tested"] = test.tested
    if test.tested:
        entry.update(
            p_value=test.p_two_sided,
            ci_low=_number(test.ci_low),
            ci_high=_number(test.ci_high),
            significant=change.significant(alpha),
        )
    else:
        entry["why_not_tested"] = test.reason
    return entry


def _check(check: Check) -> dict[str, Any]:
    return {
        "rule": check.rule.text,
        "row": check.row,
        "metric": check.rule.metric,
        "limit": check.rule.amount,
        "unit": check.rule.unit,
        "observed": _number(check.observed()),
        "broken": check.broken,
        "p_value": check.p_value,
        "significant": check.significant,
        "regression": check.regression,
        "reason": check.reason(),
    }


def document(
    runs: Sequence[dict[str, Any]],
    comparison: Comparison,
    gate: GateResult,
    trend: Sequence[TrendRow] | None,
    default_rules: bool,
) -> dict[str, Any]:
    """The whole comparison, as written to comparison.json and ``--json``."""
    doc: dict[str, Any] = {
        "verdict": "passed" if gate.passed else "regression",
        "exit_code": exit_code(gate),
        "alpha": comparison.alpha,
        "runs": list(runs),
        "rules": [rule.text for rule in gate.rules],
        "default_rules": default_rules,
        "regressions": [_check(c) for c in gate.regressions],
        "notices": list(gate.notices),
        # Only the checks whose rule is broken (regressions among them): the others passed, and
        # 100,000 labels make 400,000 checks.
        "checks_total": len(gate.checks),
        "checks": [_check(c) for c in gate.checks if c.broken],
        "rows": [
            {
                "name": row.name,
                "label": row.key[0],
                "total": row.is_total,
                "transaction_controller": row.is_controller,
                "metrics": {m.name: _change(row.changes[m.name], comparison.alpha) for m in METRICS},
            }
            for row in comparison.rows
        ],
        "only_in_baseline": [{"name": name, "samples": s.count} for name, s in comparison.only_base],
        "only_in_candidate": [{"name": name, "samples": s.count} for name, s in comparison.only_cand],
    }
    if trend is not None:
        doc["trend"] = [
            {"name": row.name, **{m: [_number(v) for v in values] for m, values in row.values.items()}}
            for row in trend
        ]
    return doc


def json_text(doc: dict[str, Any]) -> str:
    """Compact: with an indent ``json`` falls back to its pure-Python encoder, minutes for 100,000 labels."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def junit_text(gate: GateResult, duration_s: float) -> bytes:
    """One test case per check (rule x row): failing when it is a regression."""
    cases = []
    for check in gate.checks:
        name = check.rule.text if check.rule.label is not None else f"{check.row}: {check.rule.text}"
        case = ET.Element("testcase", name=name, classname="surge.compare", time="0")
        reason = check.reason()
        if check.regression:
            ET.SubElement(case, "failure", message=reason, type="Regression").text = reason
        else:
            ET.SubElement(case, "system-out").text = reason
        cases.append(case)
    for notice in gate.notices:
        case = ET.Element("testcase", name=notice.split(":", 1)[0], classname="surge.compare", time="0")
        ET.SubElement(case, "skipped", message=notice)
        cases.append(case)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite = ET.Element(
        "testsuite",
        name="surge compare",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{duration_s:.3f}",
    )
    suite.extend(cases)
    root = ET.Element("testsuites", tests=str(len(cases)), failures=str(failures), time=f"{duration_s:.3f}")
    root.append(suite)
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"
