"""If Controller conditions, evaluated safely: comparisons of numbers and strings, and, or, not.

JMeter evaluates a classic condition (``${count} < 5``) as JavaScript once variables are
substituted, and an expression condition (``${__jexl3(...)}``, or ``${flag}``) as text that must
read ``true``. surge runs no scripts; it evaluates the common subset itself:

    literals   42  1.5  "text"  'text'  true  false  null  undefined
    operators  ==  !=  ===  !==  <  <=  >  >=  &&  ||  !  ( )

``==`` compares numbers when both sides read as numbers, else text (as JavaScript does for these
operands). A condition outside this subset is refused when the plan is loaded; a value that
makes it unreadable at run time (a word where a number was expected) makes it false, as the
script error does in JMeter.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from surge.scenario.jmx.expressions import Expr, RenderContext, parse

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!()])|(?P<word>[A-Za-z_$][\w$]*))"
)
_WRAPPERS = re.compile(r"^\s*\$\{__(?:jexl2|jexl3|groovy|javaScript)\((.*)\)\}\s*$", re.DOTALL)
_PLACEHOLDER = "1"  # stands for a variable's value when checking a condition's shape


class ConditionError(Exception):
    """The condition is outside the subset evaluated here."""


class Condition:
    """A compiled If Controller condition."""

    def __init__(self, text: str, use_expression: bool, compile_: Callable[[str], Expr] = parse) -> None:
        self.text = text
        self.use_expression = use_expression
        inner = _WRAPPERS.match(text)
        # ${__jexl3(x)} and ${__groovy(x)} are evaluated here, not as functions.
        self.scripted = inner is not None
        body = inner.group(1).replace("\\,", ",") if inner is not None else text
        self.expr: Expr = compile_(body)
        if self.scripted or not use_expression:
            probe = self.expr.render(_Probe())
            _evaluate(probe)  # raises ConditionError for anything outside the subset

    def holds(self, ctx: RenderContext) -> bool:
        text = self.expr.render(ctx)
        if self.use_expression and not self.scripted:
            return text.strip().lower() == "true"
        try:
            return _truthy(_evaluate(text))
        except ConditionError:
            return False


class _Probe:
    """Renders every variable as a number, to check a condition's shape before the run."""

    def __init__(self) -> None:
        self.vars: dict[str, str] = _AnyVar()
        self.props: dict[str, str] = {}
        self.thread_num = 1
        self.group_name = ""
        self.rng = random.Random(0)
        self.user_counters: dict[str, int] = {}
        self.shared_counters: dict[str, int] = {}


class _AnyVar(dict[str, str]):
    def get(self, key: str, default: str | None = None) -> str:  # type: ignore[override]
        return _PLACEHOLDER


Value = float | str | bool | None


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionError(f"cannot read {text[pos:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _evaluate(text: str) -> Value:
    tokens = _tokens(text)
    if not tokens:
        raise ConditionError("empty condition")
    parser = _Parser(tokens)
    value = parser.or_expr()
    if parser.pos != len(tokens):
        raise ConditionError(f"unexpected {tokens[parser.pos][1]!r}")
    return value


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ConditionError("the condition ends too early")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def or_expr(self) -> Value:
        value = self.and_expr()
        while self.peek() == "||":
            self.take()
            right = self.and_expr()
            value = value if _truthy(value) else right
        return value

    def and_expr(self) -> Value:
        value = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            value = right if _truthy(value) else value
        return value

    def comparison(self) -> Value:
        left = self.unary()
        while self.peek() in ("==", "!=", "===", "!==", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.unary()
            left = _compare(op, left, right)
        return left

    def unary(self) -> Value:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Value:
        kind, text = self.take()
        if text == "(":
            value = self.or_expr()
            if self.take()[1] != ")":
                raise ConditionError("a ( without its )")
            return value
        if kind == "num":
            return float(text)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "word":
            if text == "true":
                return True
            if text == "false":
                return False
            if text in ("null", "undefined"):
                return None
            raise ConditionError(f"unknown name {text!r}")
        raise ConditionError(f"unexpected {text!r}")


def _number(value: Value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        return None


def _compare(op: str, left: Value, right: Value) -> bool:
    strict = op in ("===", "!==")
    a, b = _number(left), _number(right)
    if op in ("==", "!=", "===", "!=="):
        if strict and type(left) is not type(right):
            equal = False
        elif a is not None and b is not None:
            equal = a == b
        else:
            equal = left == right
        return equal if op in ("==", "===") else not equal
    if a is not None and b is not None:
        pair: tuple[float, float] | tuple[str, str] = (a, b)
    elif isinstance(left, str) and isinstance(right, str):
        pair = (left, right)
    else:
        return False
    if op == "<":
        return pair[0] < pair[1]  # type: ignore[operator]
    if op == "<=":
        return pair[0] <= pair[1]  # type: ignore[operator]
    if op == ">":
        return pair[0] > pair[1]  # type: ignore[operator]
    return pair[0] >= pair[1]  # type: ignore[operator]


def _truthy(value: Value) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, float):
        return value != 0.0
    return bool(value)
