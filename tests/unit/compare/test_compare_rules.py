"""``--fail-if`` rules: the syntax, its units, and the refusals."""

from __future__ import annotations

import re

import pytest

from surge.compare.rules import DEFAULT_RULES, parse_rule, parse_rules
from surge.errors import UsageError


@pytest.mark.parametrize(
    ("text", "metric", "op", "amount", "unit", "label"),
    [
        ("p95>+10%", "p95", ">", 10.0, "%", None),
        ("error_rate>+0.5pp", "error_rate", ">", 0.5, "pp", None),
        ("rps<-5%", "rps", "<", -5.0, "%", None),
        ("login:p99>+20%", "p99", ">", 20.0, "%", "login"),
        ("GET /a:b:median >= 10%", "p50", ">=", 10.0, "%", "GET /a:b"),
        ("mean>+50ms", "mean", ">", 50.0, "ms", None),
        ("avg>0.2s", "mean", ">", 200.0, "ms", None),
        ("p90>25", "p90", ">", 25.0, "ms", None),
        ("rps<-20", "rps", "<", -20.0, "/s", None),
        ("rps<5%", "rps", "<", -5.0, "%", None),  # a '<' rule's bare amount is a decrease
        ("Total:p95>+0%", "p95", ">", 0.0, "%", "Total"),
    ],
)
def test_rules_parse(text: str, metric: str, op: str, amount: float, unit: str, label: str | None) -> None:
    rule = parse_rule(text)
    assert (rule.metric, rule.op, rule.amount, rule.unit, rule.label) == (metric, op, amount, unit, label)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("p95", "invalid rule"),
        ("p97>+10%", "unknown metric"),
        ("max>+10%", "max cannot be a rule"),
        ("samples<-10%", "samples cannot be a rule"),
        ("p95>-10%", "catches an increase"),
        ("rps<+10%", "catches a decrease"),
        ("p95>+1pp", "for error_rate only"),
        ("error_rate>+1", "% (relative) or pp"),
        ("rps<-5ms", "rps change takes"),
        (":p95>+10%", "invalid rule"),
    ],
)
def test_bad_rules_are_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(UsageError, match=re.escape(why)):
        parse_rule(text)


def test_rules_break_by_their_operator() -> None:
    assert parse_rule("p95>+10%").broken_by(10.1) and not parse_rule("p95>+10%").broken_by(10.0)
    assert parse_rule("p95>=+10%").broken_by(10.0)
    assert parse_rule("rps<-5%").broken_by(-5.1) and not parse_rule("rps<-5%").broken_by(-4.9)


def test_no_rule_given_means_the_documented_defaults() -> None:
    assert [r.text for r in parse_rules([])] == list(DEFAULT_RULES)
    assert [r.text for r in parse_rules(["p99>+1%"])] == ["p99>+1%"]
