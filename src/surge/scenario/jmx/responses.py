"""What a JMeter plan does with a response: its extractors set variables, its assertions fail it.

Variables and failure messages are JMeter's: a Regular Expression Extractor named ``ref`` sets
``ref``, ``ref_g0``, ``ref_g1``... (or ``ref_1``, ``ref_matchNr`` for match number -1); a
Response Assertion fails with ``Test failed: text expected to contain /pattern/``; a Duration
Assertion with ``The operation lasted too long: ...``; a Size Assertion with ``The result was
the wrong size: ...``. So a report groups errors as JMeter's does.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from surge.engine.client import PreparedRequest
from surge.engine.response import Response
from surge.scenario.checks import json_text
from surge.scenario.jmx.expressions import RenderContext
from surge.scenario.jmx.jsonpath import JsonPathError, compile_path, values
from surge.scenario.jmx.model import Assertion, Extractor

_FIELD_NAMES = {
    "body": "text",
    "code": "code",
    "message": "message",
    "headers": "headers",
    "request_headers": "request headers",
    "request_data": "request data",
    "url": "URL",
}
_TYPE_WORDS = {2: "contain", 16: "contain", 1: "match", 8: "equal"}
_SIZE_WORDS = {1: "been equal to", 2: "not been equal to", 3: "been greater than", 4: "been less than",
               5: "been greater or equal to", 6: "been less than or equal to"}  # fmt: skip
_TEMPLATE = re.compile(r"\$(\d+)\$")
_NOT_JSON = object()


class Exchange:
    """A response with what checks may read of it, computed once and only when asked."""

    __slots__ = ("_json", "_text", "request", "response")

    def __init__(self, response: Response, request: PreparedRequest) -> None:
        self.response = response
        self.request = request
        self._text: str | None = None
        self._json: Any = None

    def text(self) -> str:
        if self._text is None:
            self._text = self.response.body.decode("utf-8", errors="replace")
        return self._text

    def json(self) -> Any:
        if self._json is None:
            try:
                self._json = json.loads(self.response.body)
            except ValueError:
                self._json = _NOT_JSON
        return self._json

    def field(self, name: str) -> str:
        response = self.response
        if name == "body":
            return self.text()
        if name == "body_unescaped":
            return html.unescape(self.text())
        if name == "code":
            if response.error is not None:
                return "Non HTTP response code: " + response.error.partition(":")[0]
            return str(response.status)
        if name == "message":
            if response.error is not None:
                return "Non HTTP response message: " + response.error.partition(": ")[2]
            return response.reason
        if name == "headers":
            if response.error is not None:
                return ""
            lines = [f"HTTP/1.1 {response.status} {response.reason}"]
            lines += [f"{k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in response.raw_headers]
            return "\n".join(lines) + "\n"
        if name == "request_headers":
            head = self.request.payload[: self.request.head_end].decode("latin-1")
            return "\n".join(head.split("\r\n")[1:]) + "\n"
        if name == "request_data":
            return self.request.request.body.decode("utf-8", errors="replace")
        return response.url


def _number(text: str, default: int) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return default


def extract(extractor: Extractor, exchange: Exchange, ctx: RenderContext) -> None:
    """Run one extractor on a response, setting the user's variables as JMeter does."""
    variables = ctx.vars
    if extractor.kind == "json":
        for i, name in enumerate(extractor.variables):
            path = extractor.expressions[i].render(ctx)
            number = _number(extractor.match_numbers[i].render(ctx), 0)
            _extract_json(
                name, path, number, extractor.defaults[i].render(ctx), extractor.concat, exchange, ctx
            )
        return
    name = extractor.variables[0]
    default = extractor.defaults[0].render(ctx)
    if default or extractor.default_empty:
        variables[name] = default
    text = exchange.field(extractor.field)
    expression = extractor.expressions[0].render(ctx)
    try:
        if extractor.kind == "regex":
            pattern = _compiled(expression, 0)
        else:
            left, _, right = expression.partition("\x00")
            pattern = _compiled(re.escape(left) + "(.*?)" + (re.escape(right) if right else "$"), re.DOTALL)
    except re.error:
        return  # a regex its variables made invalid: the variable keeps its default, as in JMeter
    number = _number(extractor.match_numbers[0].render(ctx), 1)
    matches = list(pattern.finditer(text))
    previous = _number(variables.get(f"{name}_matchNr", "0"), 0)
    variables.pop(f"{name}_matchNr", None)
    if number >= 0:
        match = None
        if matches:
            if number == 0:
                match = matches[ctx.rng.randrange(len(matches))]
            elif number <= len(matches):
                match = matches[number - 1]
        if match is not None:
            variables[name] = _template(extractor, match)
            _groups(variables, name, match)
        return
    variables[f"{name}_matchNr"] = str(len(matches))
    for i, match in enumerate(matches, start=1):
        variables[f"{name}_{i}"] = _template(extractor, match)
        _groups(variables, f"{name}_{i}", match)
    for i in range(len(matches) + 1, previous + 1):
        variables.pop(f"{name}_{i}", None)


_PATTERNS: dict[tuple[str, int], re.Pattern[str]] = {}


def _compiled(expression: str, flags: int) -> re.Pattern[str]:
    key = (expression, flags)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        if len(_PATTERNS) > 1000:
            _PATTERNS.clear()
        pattern = _PATTERNS[key] = re.compile(expression, flags)
    return pattern


def _template(extractor: Extractor, match: re.Match[str]) -> str:
    if extractor.kind == "boundary":
        return match.group(1)
    pieces = _TEMPLATE.split(extractor.template)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(piece)
        else:
            index = int(piece)
            out.append((match.group(index) or "") if index <= (match.re.groups or 0) else "")
    return "".join(out)


def _groups(variables: dict[str, str], name: str, match: re.Match[str]) -> None:
    count = match.re.groups or 0
    variables[f"{name}_g"] = str(count)
    for index in range(count + 1):
        variables[f"{name}_g{index}"] = match.group(index) or ""


def _extract_json(
    name: str, path: str, number: int, default: str, concat: bool, exchange: Exchange, ctx: RenderContext
) -> None:
    variables = ctx.vars
    for key in [k for k in variables if k.startswith(name + "_")]:
        if k_is_indexed(key, name):
            del variables[key]
    document = exchange.json()
    try:
        steps = compile_path(path)
    except JsonPathError:
        steps = None
    found = [] if document is _NOT_JSON or steps is None else values(document, steps)
    texts = [default if value is None else json_text(value) for value in found]
    if not texts:
        variables[name] = default
        if number < 0:
            variables[f"{name}_matchNr"] = "0"
        return
    if number < 0:
        for i, text in enumerate(texts, start=1):
            variables[f"{name}_{i}"] = text
        if concat:
            variables[f"{name}_ALL"] = ",".join(texts)
    elif number == 0:
        variables[name] = texts[ctx.rng.randrange(len(texts))]
    else:
        variables[name] = texts[number - 1] if number <= len(texts) else default
    if number != 0:
        variables[f"{name}_matchNr"] = str(len(texts))


def k_is_indexed(key: str, name: str) -> bool:
    return key[len(name) + 1 :].isdigit()


# -- assertions --------------------------------------------------------------------------------------


_STATUS_TEXT = tuple(str(status) for status in range(1000))


class CompiledCheck:
    """An assertion ready to run; a check of fixed status codes needs no ``Exchange`` when it passes."""

    __slots__ = ("any_of", "assertion", "codes", "equals")

    def __init__(self, assertion: Assertion) -> None:
        self.assertion = assertion
        patterns = [p.static for p in assertion.patterns]
        self.codes: list[str] | None = None
        if (
            assertion.kind == "response"
            and assertion.field == "code"
            and assertion.test_type in (8, 16, 8 | 32, 16 | 32)
            and not assertion.assume_success
            and patterns
            and all(p is not None for p in patterns)
        ):
            self.codes = [p for p in patterns if p is not None]
        self.equals = bool(assertion.test_type & 8)
        self.any_of = bool(assertion.test_type & 32)

    def passes_by_status(self, response: Response) -> bool:
        """True when this is a status-code check that the response passes (nothing else to do)."""
        codes = self.codes
        if codes is None or response.error is not None:
            return False
        code = _STATUS_TEXT[response.status]
        found = [code == p if self.equals else p in code for p in codes]
        return any(found) if self.any_of else all(found)

    def run(self, exchange: Exchange, ctx: RenderContext) -> str | None:
        return check(self.assertion, exchange, ctx)


def check(assertion: Assertion, exchange: Exchange, ctx: RenderContext) -> str | None:
    """None when the response passes; else JMeter's failure message."""
    response = exchange.response
    if assertion.kind == "duration":
        limit = _number(assertion.limit.render(ctx) if assertion.limit else "0", 0)
        if limit > 0 and response.elapsed_ms > limit:
            return (
                f"The operation lasted too long: It took {response.elapsed_ms:,} milliseconds, "
                f"but should not have lasted longer than {limit:,} milliseconds."
            )
        return None
    if assertion.kind == "size":
        size = _size(assertion.field, exchange)
        limit = _number(assertion.limit.render(ctx) if assertion.limit else "0", 0)
        ok = {1: size == limit, 2: size != limit, 3: size > limit, 4: size < limit,
              5: size >= limit, 6: size <= limit}[assertion.operator]  # fmt: skip
        if ok:
            return None
        return (
            f"The result was the wrong size: It was {size:,} bytes, but should have "
            f"{_SIZE_WORDS[assertion.operator]} {limit:,} bytes."
        )
    if assertion.assume_success:
        response.status_accepted = True  # "Ignore Status": the assertion alone decides
    return _response_check(assertion, exchange.field(assertion.field), ctx)


def _size(field: str, exchange: Exchange) -> int:
    response = exchange.response
    if field == "body":
        return len(response.body)
    if field == "code":
        return len(exchange.field("code"))
    if field == "message":
        return len(exchange.field("message"))
    if field == "headers":
        return max(0, response.received - len(response.body))
    return response.received


def _response_check(assertion: Assertion, text: str, ctx: RenderContext) -> str | None:
    test_type = assertion.test_type
    negate = bool(test_type & 4)
    any_of = bool(test_type & 32)
    if not text:
        return None if negate else "Response was null"
    failures: list[str] = []
    for pattern_expr in assertion.patterns:
        pattern = pattern_expr.render(ctx)
        if test_type & 2:
            found = re.search(pattern, text) is not None
        elif test_type & 8:
            found = text == pattern
        elif test_type & 16:
            found = pattern in text
        else:
            found = re.fullmatch(pattern, text, re.DOTALL) is not None
        passed = found != negate
        if any_of:
            if passed:
                return None
            failures.append(_fail_text(assertion, pattern, text))
        elif not passed:
            return assertion.custom_message or _fail_text(assertion, pattern, text)
    if any_of and failures:
        return assertion.custom_message or "\t".join(failures) + "\t"
    return None


def _fail_text(assertion: Assertion, pattern: str, text: str) -> str:
    kind = assertion.test_type & 31
    word = _TYPE_WORDS.get(kind & ~4, "")
    verb = f" expected not to {word} " if kind & 4 else f" expected to {word} "
    if not word:
        verb = " expected something using "
    shown = _equals_text(text, pattern) if kind & 8 else pattern
    return f"Test failed: {_FIELD_NAMES.get(assertion.field, 'text')}{verb}/{shown}/"


def _trunc(right: bool, text: str, length: int = 100) -> str:
    if len(text) <= length:
        return text
    return text[:length] + "..." if right else "..." + text[-length:]


def _equals_text(received: str, comparison: str) -> str:
    """JMeter's equality diff: the common start, the differing middle in [[[ ]]], the common end."""
    shortest = min(len(received), len(comparison))
    first = 0
    while first < shortest and received[first] == comparison[first]:
        first += 1
    start = _trunc(False, received[:first]) if first else ""
    last_received, last_comparison = len(received) - 1, len(comparison) - 1
    while (
        last_received > first
        and last_comparison > first
        and received[last_received] == comparison[last_comparison]
    ):
        last_received -= 1
        last_comparison -= 1
    end = _trunc(True, received[last_received + 1 :])
    if end:
        received_delta = _trunc(True, received[first : last_received + 1])
        comparison_delta = _trunc(True, comparison[first : last_comparison + 1])
    else:
        received_delta = _trunc(True, received[first:])
        comparison_delta = _trunc(True, comparison[first:])
    pad = abs(len(received_delta) - len(comparison_delta))
    if len(received_delta) > len(comparison_delta):
        comparison_delta += " " * pad
    else:
        received_delta += " " * pad
    return (
        f"\n\n****** received  : {start}[[[{received_delta}]]]{end}\n\n"
        f"****** comparison: {start}[[[{comparison_delta}]]]{end}\n\n"
    )
