"""JMeter strings, functions, If conditions and properties files (no sockets)."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from surge.cli.run_jmx import parse_properties
from surge.scenario.jmx.conditions import Condition, ConditionError
from surge.scenario.jmx.expressions import UnsupportedFunction, parse, variables_set_by


class Context:
    def __init__(self, variables: dict[str, str] | None = None, props: dict[str, str] | None = None) -> None:
        self.vars = variables or {}
        self.props = props or {}
        self.thread_num = 3
        self.group_name = "Buyers"
        self.rng = random.Random(1)
        self.user_counters: dict[str, int] = {}
        self.shared_counters: dict[str, int] = {}


def render(text: str, variables: dict[str, str] | None = None, props: dict[str, str] | None = None) -> str:
    return parse(text).render(Context(variables, props))


def test_variables_left_as_written_when_undefined() -> None:
    assert render("/items/${id}?q=${q}", {"id": "7"}) == "/items/7?q=${q}"
    assert render("${unclosed") == "${unclosed"
    assert render("cost: $5 {x}") == "cost: $5 {x}"


def test_properties() -> None:
    assert render("${__P(host,localhost)}:${__P(port)}", props={"host": "h"}) == "h:1"  # __P's default is 1
    assert render("${__property(user.dir)}") == "user.dir"  # __property's default is the name
    context = Context(props={"server": "s1"})
    assert parse("${__property(server,srv,fallback)}").render(context) == "s1"
    assert context.vars == {"srv": "s1"}


def test_functions() -> None:
    context = Context()
    value = int(parse("${__Random(5,9,pick)}").render(context))
    assert 5 <= value <= 9 and context.vars["pick"] == str(value)
    assert re.fullmatch("[ab]{12}", parse("${__RandomString(12,ab)}").render(context))
    assert uuid.UUID(parse("${__UUID()}").render(context)).version == 4
    assert parse("${__threadNum}").render(context) == "3"
    assert [parse("${__counter(TRUE,n)}").render(context) for _ in range(3)] == ["1", "2", "3"]
    assert re.fullmatch(r"\d{13}", parse("${__time()}").render(context))
    assert re.fullmatch(r"\d{10}", parse("${__time(/1000)}").render(context))
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", parse("${__time(yyyy-MM-dd HH:mm:ss.SSS)}").render(context)
    )
    assert parse("${__intSum(2,3,total)}").render(context) == "5" and context.vars["total"] == "5"
    assert parse("${__V(pick)}").render(context) == context.vars["pick"]
    assert parse("${__urlencode(a b&c)}").render(context) == "a+b%26c"


def test_nested_calls_and_escaped_commas() -> None:
    assert render("${__P(${which},a\\,b)}", {"which": "x"}) == "a,b"
    assert render("${__property(x,,${__P(y,inner)})}") == "inner"


def test_scripts_and_unknown_functions_are_unsupported() -> None:
    with pytest.raises(UnsupportedFunction, match="__BeanShell: a script"):
        parse("${__BeanShell(1+1)}")
    with pytest.raises(UnsupportedFunction, match="__timeShift: not supported"):
        parse("${__timeShift(yyyy,,P1D,,)}")
    with pytest.raises(UnsupportedFunction, match="__time: format"):
        parse("${__time(QQQ)}")


def test_folding_known_values() -> None:
    expr = parse("${scheme}://${host}/x?r=${__Random(1,2)}").fold({"scheme": "https", "host": "h"}, {})
    assert expr.static is None and expr.display() == "https://h/x?r=${__Random(1,2)}"
    assert parse("${__P(port,80)}").fold({}, {"port": "8080"}).static == "8080"
    assert variables_set_by(parse("${__Random(1,9,a)}${__counter(FALSE,b)}")) == {"a", "b"}


@pytest.mark.parametrize(
    ("text", "use_expression", "variables", "holds"),
    [
        ("${var1}<50", False, {"var1": "5"}, True),
        ("${var1}<50", False, {"var1": "500"}, False),
        ("${var1}<50", False, {"var1": "abc"}, False),  # a script error in JMeter: false
        ('"${user}" == "ada" && ${n} >= 2', False, {"user": "ada", "n": "2"}, True),
        ("!(${a} == 1) || ${b} != 2", False, {"a": "1", "b": "2"}, False),
        ("${flag}", True, {"flag": "TRUE"}, True),
        ("${flag}", True, {"flag": "yes"}, False),
        ("${__jexl3(${n} > 3)}", True, {"n": "4"}, True),
        ("${__groovy(\"${s}\" == 'x')}", True, {"s": "x"}, True),
        ("${JMeterThread.last_sample_ok}", True, {"JMeterThread.last_sample_ok": "true"}, True),
    ],
)
def test_conditions(text: str, use_expression: bool, variables: dict[str, str], holds: bool) -> None:
    assert Condition(text, use_expression).holds(Context(variables)) is holds


@pytest.mark.parametrize(
    "text", ["${a}.length > 0", "vars.get('x') == 1", "${__jexl3(vars.get('x'))}", "1 <"]
)
def test_conditions_outside_the_subset_are_refused(text: str) -> None:
    with pytest.raises(ConditionError):
        Condition(text, "__jexl3" in text)


def test_properties_file() -> None:
    text = "# comment\n! another\nhost = 127.0.0.1\nport: 8080\nname value with spaces\n"
    text += "long = a\\\n  b\ntab=x\\ty\n"
    assert parse_properties(text) == {
        "host": "127.0.0.1", "port": "8080", "name": "value with spaces", "long": "ab", "tab": "x\ty",
    }  # fmt: skip
