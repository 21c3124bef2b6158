"""``--fail-if`` rules (``p95>+10%``, ``error_rate>+0.5pp``, ``rps<-5%``, ``login:p99>+20%``): parse them.

A rule is ``[LABEL:]METRIC OP CHANGE``, in the style of ``surge run --threshold``, but on the change
from the baseline to the candidate: ``%`` is relative to the baseline's value, ``pp`` percentage
points (error_rate), ``ms``/``s`` an absolute time, a bare number the metric's own unit (ms for times,
samples per second for rps). ``>`` rules catch increases, ``<`` rules decreases. Without a label a
rule applies to the Total and to every label both runs have; ``Total:`` to the Total only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surge.errors import UsageError

# The rules used when none is given (docs/compare.md#the-default-rules says why these).
DEFAULT_RULES: tuple[str, ...] = ("p50>+5%", "p95>+5%", "error_rate>+0.5pp", "rps<-5%")

# metric name in a rule -> canonical metric (surge.compare.diff.METRICS)
_ALIASES: dict[str, str] = {
    "p50": "p50",
    "med": "p50",
    "median": "p50",
    "p90": "p90",
    "p95": "p95",
    "p99": "p99",
    "avg": "mean",
    "mean": "mean",
    "error_rate": "error_rate",
    "rps": "rps",
}
_TIME_METRICS = frozenset({"p50", "p90", "p95", "p99", "mean"})
# Metrics a comparison shows but cannot gate on, and why.
_NOT_GATED = {
    "max": "the maximum is one sample: no test can tell a real change from luck (use p99)",
    "min": "the minimum is one sample: no test can tell a real change from luck (use p50)",
    "samples": "the number of samples follows the test's length and load (use rps)",
    "errors": "a count follows the test's length (use error_rate)",
}
_RULE = re.compile(
    r"^(?:(?P<label>.+):)?\s*(?P<metric>[a-z_0-9]+)\s*(?P<op><=|>=|<|>)\s*(?P<sign>[+-]?)\s*"
    r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>%|pp|ms|s)?\s*$"
)
EXAMPLES = "examples: 'p95>+10%', 'error_rate>+0.5pp', 'rps<-5%', 'login:p99>+20%', 'mean>+50ms'"


@dataclass(frozen=True)
class Rule:
    text: str
    metric: str  # canonical: p50, p90, p95, p99, mean, error_rate, rps
    op: str  # > >= < <=
    amount: float  # signed; in ``unit``
    unit: str  # "%" (relative), "pp", "ms" or "/s"
    label: str | None = None  # None: the Total and every common label

    @property
    def catches_increase(self) -> bool:
        return self.op in (">", ">=")

    def broken_by(self, change: float) -> bool:
        """Whether a change (in this rule's unit) breaks the rule."""
        if self.op == ">":
            return change > self.amount
        if self.op == ">=":
            return change >= self.amount
        if self.op == "<":
            return change < self.amount
        return change <= self.amount

    def limit_text(self) -> str:
        return f"{self.op} {self.amount:+g}{self.unit}"


def parse_rule(text: str) -> Rule:
    """Parse one ``--fail-if`` rule; raises UsageError saying what is wrong."""
    match = _RULE.match(text.strip())
    if match is None:
        raise UsageError(f"--fail-if: invalid rule {text!r} ({EXAMPLES})")
    name = match.group("metric")
    if name in _NOT_GATED:
        raise UsageError(f"--fail-if: {text!r}: {name} cannot be a rule: {_NOT_GATED[name]}")
    metric = _ALIASES.get(name)
    if metric is None:
        known = ", ".join(sorted(_ALIASES))
        raise UsageError(f"--fail-if: {text!r}: unknown metric {name!r} (known: {known})")
    label = match.group("label")
    if label is not None:
        label = label.strip()
        if not label:
            raise UsageError(f"--fail-if: {text!r}: empty label before ':'")
    op = match.group("op")
    number = float(match.group("number"))
    sign = -1.0 if match.group("sign") == "-" else 1.0
    if match.group("sign") == "":
        sign = 1.0 if op in (">", ">=") else -1.0  # 'p95>10%' means +10 %, 'rps<5%' means -5 %
    amount = sign * number
    unit = _unit(text, metric, match.group("unit"))
    if match.group("unit") == "s":
        amount *= 1000.0
    if (op in (">", ">=") and amount < 0) or (op in ("<", "<=") and amount > 0):
        way = "an increase (a change of 0 or more)" if op in (">", ">=") else "a decrease (0 or less)"
        raise UsageError(f"--fail-if: {text!r}: a {op!r} rule catches {way}")
    return Rule(text=text.strip(), metric=metric, op=op, amount=amount, unit=unit, label=label)


def _unit(text: str, metric: str, unit: str | None) -> str:
    if unit == "%":
        return "%"
    if unit == "pp":
        if metric != "error_rate":
            raise UsageError(f"--fail-if: {text!r}: 'pp' (percentage points) is for error_rate only")
        return "pp"
    if metric in _TIME_METRICS:
        if unit not in (None, "ms", "s"):
            raise UsageError(f"--fail-if: {text!r}: a time change takes %, ms or s")
        return "ms"
    if metric == "error_rate":
        raise UsageError(f"--fail-if: {text!r}: an error_rate change takes % (relative) or pp (points)")
    if unit is not None:
        raise UsageError(f"--fail-if: {text!r}: an rps change takes % or a number of samples per second")
    return "/s"


def parse_rules(texts: list[str] | tuple[str, ...]) -> tuple[Rule, ...]:
    """The given rules, or the default ones when none is given."""
    return tuple(parse_rule(text) for text in (texts or DEFAULT_RULES))
