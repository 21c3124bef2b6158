"""Timers, extractors, assertions and User Parameters read from their JMeter elements.

Each ``*_from`` function takes an ``Element`` of its kind and a ``compile`` callable (a string
to an ``Expr``, folded with what is known before the run) and returns the model's object.
Values JMeter would only find wrong at run time (a regex that does not compile, a JSON path
outside the supported subset) raise ``ComponentError`` here, before any request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from surge.scenario.jmx.expressions import Expr
from surge.scenario.jmx.jsonpath import JsonPathError, compile_path
from surge.scenario.jmx.model import Assertion, Extractor, Timer, UserParameters
from surge.scenario.jmx.xml_tree import Element

Compile = Callable[[str], Expr]

TIMER_KINDS = {
    "constant_timer": "constant",
    "uniform_timer": "uniform",
    "gaussian_timer": "gaussian",
    "poisson_timer": "poisson",
    "throughput_timer": "throughput",
}
# Extractors' "Field to check" (RegexExtractor.useHeaders and the like) -> what surge reads.
_FIELDS = {
    "false": "body",
    "": "body",
    "unescaped": "body_unescaped",
    "as_document": "body",
    "true": "headers",
    "request_headers": "request_headers",
    "URL": "url",
    "code": "code",
    "message": "message",
}
_ASSERTION_FIELDS = {
    "Assertion.response_data": "body",
    "Assertion.response_data_as_document": "body",
    "Assertion.response_code": "code",
    "Assertion.response_message": "message",
    "Assertion.response_headers": "headers",
    "Assertion.request_headers": "request_headers",
    "Assertion.request_data": "request_data",
    "Assertion.sample_label": "url",  # JMeter's name for "URL Sampled"
}
_SIZE_FIELDS = {
    "SizeAssertion.response_network_size": "network",
    "SizeAssertion.response_headers": "headers",
    "SizeAssertion.response_data": "body",
    "SizeAssertion.response_code": "code",
    "SizeAssertion.response_message": "message",
}


class ComponentError(Exception):
    """An element whose settings surge cannot run (the message says which and why)."""


def timer_from(element: Element, kind: str, compile_: Compile) -> Timer:
    if kind == "throughput_timer":
        per_minute = compile_(
            element.text("throughput") or element.text("ConstantThroughputTimer.throughput")
        )
        mode_text = element.text("calcMode", "0").strip() or "0"
        if not mode_text.isdigit() or int(mode_text) > 4:
            raise ComponentError(f"calculation mode {mode_text!r} is not one JMeter has")
        return Timer("throughput", Expr(("0",)), Expr(("0",)), per_minute, int(mode_text))
    delay = compile_(element.text("ConstantTimer.delay", "0") or "0")
    spread = compile_(element.text("RandomTimer.range", "0") or "0")
    return Timer(TIMER_KINDS[kind], delay, spread)


def user_parameters_from(element: Element, compile_: Compile) -> UserParameters:
    names = tuple(item for item in element.items("UserParameters.names") if isinstance(item, str))
    columns = []
    for column in element.items("UserParameters.thread_values"):
        values = column if isinstance(column, list) else []
        columns.append(tuple(compile_(v) for v in values if isinstance(v, str)))
    if any(len(column) != len(names) for column in columns):
        raise ComponentError("every user's column needs one value per name")
    return UserParameters(names, tuple(columns), element.flag("UserParameters.per_iteration"))


def extractor_from(element: Element, kind: str, compile_: Compile) -> Extractor:
    if kind == "json":
        names = tuple(n.strip() for n in element.text("JSONPostProcessor.referenceNames").split(";"))
        paths = tuple(p.strip() for p in element.text("JSONPostProcessor.jsonPathExprs").split(";"))
        defaults = tuple(element.text("JSONPostProcessor.defaultValues").split(";"))
        numbers_text = element.text("JSONPostProcessor.match_numbers").strip()
        numbers = tuple(n.strip() for n in numbers_text.split(";")) if numbers_text else ("0",) * len(names)
        if not (len(names) == len(paths) == len(defaults)) or len(numbers) < len(names):
            raise ComponentError("names, JSON paths, match numbers and defaults must be as many (split by ;)")
        compiled = tuple(compile_(path) for path in paths)
        for path in compiled:
            if path.static is not None:
                check_json_path(path.static)
        return Extractor(
            "json", element.name, names, compiled, tuple(compile_(n) for n in numbers[: len(names)]),
            tuple(compile_(d) for d in defaults), concat=element.flag("JSONPostProcessor.compute_concat"),
        )  # fmt: skip
    prefix = "RegexExtractor" if kind == "regex" else "BoundaryExtractor"
    field_key = element.text(f"{prefix}.useHeaders", "false").strip()
    if field_key not in _FIELDS:
        raise ComponentError(f"field to check {field_key!r} is not supported")
    if kind == "regex":
        # Variables in the regex are replaced when it runs (JMeter's ${choice} in href="/${choice}/(.*?)").
        expression = compile_(element.text("RegexExtractor.regex"))
        if expression.static is not None:
            try:
                re.compile(expression.static)
            except re.error as exc:
                raise ComponentError(f"invalid regular expression {expression.static!r}: {exc}") from exc
        template = element.text("RegexExtractor.template") or "$1$"
    else:
        expression = compile_(
            element.text("BoundaryExtractor.lboundary") + "\x00" + element.text("BoundaryExtractor.rboundary")
        )
        template = ""
    return Extractor(
        kind,
        element.name,
        (element.text(f"{prefix}.refname").strip(),),
        (expression,),
        (compile_(element.text(f"{prefix}.match_number", "1").strip() or "1"),),
        (compile_(element.text(f"{prefix}.default")),),
        template=template,
        field=_FIELDS[field_key],
        default_empty=element.flag(f"{prefix}.default_empty_value"),
    )


def check_json_path(path: str) -> None:
    """JSON paths surge evaluates: ``$``, ``.name``, ``['name']``, ``[n]``, ``[*]``, ``.*``, ``..name``."""
    try:
        compile_path(path)
    except JsonPathError as exc:
        raise ComponentError(str(exc)) from exc


def assertion_from(element: Element, kind: str, compile_: Compile) -> Assertion:
    if kind == "duration_assertion":
        return Assertion(
            "duration", element.name, limit=compile_(element.text("DurationAssertion.duration", "0"))
        )
    if kind == "size_assertion":
        field = _SIZE_FIELDS.get(element.text("Assertion.test_field", "SizeAssertion.response_network_size"))
        if field is None or element.text("Assertion.scope") == "variable":
            raise ComponentError(
                "only size of the response, its headers, body, code or message can be checked"
            )
        operator = element.text("SizeAssertion.operator", "1").strip() or "1"
        if operator not in ("1", "2", "3", "4", "5", "6"):
            raise ComponentError(f"comparison {operator!r} is not one JMeter has")
        return Assertion("size", element.name, field=field, operator=int(operator),
                         limit=compile_(element.text("SizeAssertion.size", "0")))  # fmt: skip
    field = _ASSERTION_FIELDS.get(element.text("Assertion.test_field", "Assertion.response_data"))
    if field is None or element.text("Assertion.scope") == "variable":
        raise ComponentError(f"field {element.text('Assertion.test_field')!r} is not supported")
    test_type = int(element.text("Assertion.test_type", "2").strip() or "2")
    patterns = tuple(compile_(p) for p in element.items("Asserion.test_strings") if isinstance(p, str))
    if test_type & 3:  # a regex: contains (2) or matches (1)
        for pattern in patterns:
            if pattern.static is not None:
                try:
                    re.compile(pattern.static)
                except re.error as exc:
                    raise ComponentError(f"invalid regular expression {pattern.static!r}: {exc}") from exc
    return Assertion(
        "response",
        element.name,
        field=field,
        test_type=test_type,
        patterns=patterns,
        assume_success=element.flag("Assertion.assume_success"),
        custom_message=element.text("Assertion.custom_message"),
    )
