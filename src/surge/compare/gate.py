"""The regression gate: a change is a regression when it breaks a rule AND is significant.

Each rule is checked on each row it applies to; each check's one-sided p-value (in the rule's
direction) goes into one family, and Holm's procedure keeps the chance of any false regression in
the whole comparison at alpha, however many labels and rules there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from surge.compare import stats
from surge.compare.diff import TOTAL_NAME, Change, Comparison, RowComparison
from surge.compare.rules import Rule
from surge.errors import UsageError


@dataclass(frozen=True)
class Check:
    rule: Rule
    row: str  # the row's name
    change: Change | None  # None: the rule's label is missing from the candidate
    broken: bool
    p_value: float  # one-sided, in the rule's direction
    significant: bool = False  # after Holm's correction

    @property
    def regression(self) -> bool:
        return self.broken and self.significant

    def observed(self) -> float | None:
        """The change in the rule's unit."""
        return _observed(self.rule, self.change) if self.change is not None else None

    def reason(self) -> str:
        """One line for humans."""
        where = f"{self.row}: " if self.row else ""
        if self.change is None:
            return f"{where}{self.rule.text}: the label is missing from the candidate"
        observed = self.observed()
        shown = "n/a" if observed is None else _format_change(observed, self.rule.unit)
        test = self.change.test
        if test is not None and not test.tested:
            evidence = f"not tested: {test.reason}"
        else:
            evidence = _format_p(self.p_value)
        if self.regression:
            verdict = "REGRESSION"
        elif self.broken:
            verdict = "broken, but not significant"
        else:
            verdict = "within the rule"
        return f"{where}{self.rule.metric} {shown} (rule {self.rule.limit_text()}; {evidence}): {verdict}"


@dataclass(frozen=True)
class GateResult:
    alpha: float
    rules: tuple[Rule, ...]
    checks: tuple[Check, ...]
    notices: tuple[str, ...] = ()  # rules that could not be checked, and why

    @property
    def regressions(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.regression)

    @property
    def passed(self) -> bool:
        return not self.regressions


def _format_p(p: float) -> str:
    return f"p = {p:.2g}" if p >= 1e-4 else "p < 0.0001"


def _format_change(value: float, unit: str) -> str:
    if math.isinf(value):
        return "+inf %" if value > 0 else "-inf %"
    if unit == "%":
        return f"{value:+.1f} %"
    if unit == "pp":
        return f"{value:+.2f} pp"
    if unit == "ms":
        return f"{value:+.1f} ms"
    return f"{value:+.2f}/s"


def _observed(rule: Rule, change: Change) -> float | None:
    if rule.unit == "%":
        relative = change.relative
        return None if relative is None else relative * 100.0
    return change.absolute


def _p_value(rule: Rule, change: Change) -> float:
    test = change.test
    if test is None or not test.tested:
        return 1.0
    return test.p_increase if rule.catches_increase else test.p_decrease


def _rows_for(rule: Rule, comparison: Comparison) -> list[RowComparison]:
    if rule.label is None:
        return list(comparison.rows)
    return [r for r in comparison.rows if r.name == rule.label or (r.is_total and rule.label == TOTAL_NAME)]


def judge(comparison: Comparison, rules: tuple[Rule, ...], alpha: float) -> GateResult:
    """Check every rule on its rows; raises UsageError for a rule whose label neither run has."""
    pending: list[Check] = []
    notices: list[str] = []
    for rule in rules:
        rows = _rows_for(rule, comparison)
        if rule.label is not None and not rows:
            in_base = any(name == rule.label for name, _ in comparison.only_base)
            in_cand = any(name == rule.label for name, _ in comparison.only_cand)
            if in_base:
                # the gated transaction is gone from the candidate: that fails, whatever the numbers
                pending.append(Check(rule, rule.label, None, True, 0.0, True))
            elif in_cand:
                notices.append(f"{rule.text}: not checked, {rule.label!r} is new in the candidate")
            else:
                raise UsageError(f"--fail-if: {rule.text!r}: no label {rule.label!r} in the runs compared")
            continue
        for row in rows:
            change = row.changes[rule.metric]
            observed = _observed(rule, change)
            broken = observed is not None and rule.broken_by(observed)
            pending.append(Check(rule, row.name, change, broken, _p_value(rule, change)))
    tested = [i for i, check in enumerate(pending) if check.change is not None]
    rejected = stats.holm([pending[i].p_value for i in tested], alpha)
    checks = list(pending)
    for i, significant in zip(tested, rejected, strict=True):
        if significant:  # most are not: a new Check only for those
            c = checks[i]
            checks[i] = Check(c.rule, c.row, c.change, c.broken, c.p_value, True)
    return GateResult(alpha, rules, tuple(checks), tuple(notices))
