"""The gate: a regression is a broken rule AND a significant change; missing and new labels."""

from __future__ import annotations

import duckdb
import pytest

from surge.compare.diff import Comparison, compare_runs
from surge.compare.gate import judge
from surge.compare.measure import measure_run
from surge.compare.rules import parse_rules
from surge.errors import UsageError
from synthetic_runs import LabelSpec, load_table, samples


def compare(base: dict[str, LabelSpec], cand: dict[str, LabelSpec], seed: int = 1) -> Comparison:
    con = duckdb.connect()
    load_table(con, "a", samples(base, seed))
    load_table(con, "b", samples(cand, seed + 1000))
    return compare_runs(measure_run(con, "a"), measure_run(con, "b"), 0.05)


def test_a_broken_rule_on_few_samples_is_not_a_regression() -> None:
    """+20 % on 20 samples (+17.8 % seen) breaks 'mean>+5%' but is not significant: no regression."""
    comparison = compare({"x": LabelSpec(20)}, {"x": LabelSpec(20, factor=1.2)}, seed=3)
    gate = judge(comparison, parse_rules(["x:mean>+5%"]), 0.05)
    (check,) = gate.checks
    assert check.broken and not check.significant and gate.passed
    assert "broken, but not significant" in check.reason()


def test_a_significant_change_within_the_rule_is_not_a_regression() -> None:
    comparison = compare({"x": LabelSpec(20_000)}, {"x": LabelSpec(20_000, factor=1.04)})
    gate = judge(comparison, parse_rules(["x:p50>+10%"]), 0.05)
    (check,) = gate.checks
    row = comparison.row("x")
    assert row is not None and row.changes["p50"].significant(0.05)
    assert not check.broken and gate.passed


def test_a_significant_broken_rule_is_a_regression() -> None:
    comparison = compare(
        {"x": LabelSpec(5000), "y": LabelSpec(5000)}, {"x": LabelSpec(5000, factor=1.3), "y": LabelSpec(5000)}
    )
    gate = judge(comparison, parse_rules([]), 0.05)
    assert {(c.row, c.rule.metric) for c in gate.regressions} >= {("x", "p50"), ("x", "p95")}
    assert not any(c.row == "y" for c in gate.regressions)


def test_labels_in_one_run_only_are_listed_and_a_gated_label_gone_is_a_regression() -> None:
    comparison = compare(
        {"x": LabelSpec(500), "gone": LabelSpec(100)}, {"x": LabelSpec(500), "new": LabelSpec(100)}
    )
    assert [name for name, _ in comparison.only_base] == ["gone"]
    assert [name for name, _ in comparison.only_cand] == ["new"]
    gate = judge(comparison, parse_rules(["gone:p95>+10%", "new:p95>+10%"]), 0.05)
    assert [c.reason() for c in gate.regressions] == [
        "gone: gone:p95>+10%: the label is missing from the candidate"
    ]
    assert gate.notices == ("new:p95>+10%: not checked, 'new' is new in the candidate",)
    with pytest.raises(UsageError, match="no label 'nowhere'"):
        judge(comparison, parse_rules(["nowhere:p95>+10%"]), 0.05)


def test_total_rule_checks_the_total_only() -> None:
    comparison = compare({"x": LabelSpec(500)}, {"x": LabelSpec(500)})
    gate = judge(comparison, parse_rules(["Total:p95>+10%"]), 0.05)
    assert [c.row for c in gate.checks] == ["Total"]
