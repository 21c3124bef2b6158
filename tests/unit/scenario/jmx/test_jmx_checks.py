"""Extractors, assertions and HTTP samplers of JMeter plans, as JMeter runs them (no sockets)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from jmx_builder import defaults, element, http, plan, prop, thread_group
from surge.engine.client import PreparedRequest
from surge.engine.response import Response
from surge.plan import Request
from surge.scenario.jmx.expressions import literal, parse
from surge.scenario.jmx.model import Assertion, Extractor, HttpSampler
from surge.scenario.jmx.resolve import load_jmx
from surge.scenario.jmx.responses import Exchange, check, extract


class Context:
    def __init__(self) -> None:
        self.vars: dict[str, str] = {}
        self.props: dict[str, str] = {}
        self.thread_num = 1
        self.group_name = "g"
        self.rng = random.Random(3)
        self.user_counters: dict[str, int] = {}
        self.shared_counters: dict[str, int] = {}


def exchange(body: bytes, status: int = 200, headers: bytes = b"Content-Type: text/html") -> Exchange:
    head = b"HTTP/1.1 %d OK\r\n%s" % (status, headers)
    response = Response("http://h/x", status, "OK", head, body, 12, None)
    return Exchange(response, PreparedRequest(Request("http://h/x", headers=(("X-Trace", "t1"),))))


def regex(expression: str, number: str = "1", default: str = "", template: str = "$1$") -> Extractor:
    return Extractor(
        "regex", "r", ("ref",), (parse(expression),), (literal(number),), (literal(default),), template
    )


def test_regex_extractor_match_numbers_groups_and_defaults() -> None:
    ctx = Context()
    page = exchange(b'<a href="/p/1">x</a><a href="/p/2">y</a><a href="/p/3">z</a>')
    extract(regex(r'href="/p/(\d)"'), page, ctx)
    assert (ctx.vars["ref"], ctx.vars["ref_g0"], ctx.vars["ref_g1"], ctx.vars["ref_g"]) == (
        "1",
        'href="/p/1"',
        "1",
        "1",
    )
    extract(regex(r'href="/p/(\d)"', number="3", template="item-$1$!"), page, ctx)
    assert ctx.vars["ref"] == "item-3!"
    extract(regex(r'href="/p/(\d)"', number="-1"), page, ctx)
    assert [ctx.vars[f"ref_{i}"] for i in (1, 2, 3)] == ["1", "2", "3"] and ctx.vars["ref_matchNr"] == "3"
    extract(regex(r'href="/p/(\d)"', number="0"), page, ctx)
    assert ctx.vars["ref"] in ("1", "2", "3")
    extract(regex("nothing(here)", default="NOT_FOUND"), page, ctx)
    assert ctx.vars["ref"] == "NOT_FOUND"
    ctx.vars["ref"] = "kept"
    extract(regex("nothing(here)"), page, ctx)  # no default: the variable is left as it was
    assert ctx.vars["ref"] == "kept"


def test_regex_reads_variables_and_boundary_extractor() -> None:
    ctx = Context()
    ctx.vars["choice"] = "pizza"
    extract(regex('href="/${choice}/(.*?)"'), exchange(b'<a href="/pizza/margherita">'), ctx)
    assert ctx.vars["ref"] == "margherita"
    boundary = Extractor("boundary", "b", ("b",), (literal('id="\x00"'),), (literal("2"),), (literal(""),))
    extract(boundary, exchange(b'id="a" id="b"'), ctx)
    assert ctx.vars["b"] == "b"


def test_json_extractor() -> None:
    ctx = Context()
    body = b'{"items": [{"id": 101, "tags": ["a"]}, {"id": 102}], "token": "t"}'
    paths = tuple(map(literal, ("$.items[*].id", "$..id", "$.token", "$.nope", "$.items[0]")))
    numbers = tuple(map(literal, ("1", "-1", "0", "0", "1")))
    json = Extractor("json", "j", ("first", "all", "tok", "missing", "obj"), paths, numbers,
                     tuple(map(literal, ("", "", "", "NF", ""))))  # fmt: skip
    extract(json, exchange(body), ctx)
    assert ctx.vars["first"] == "101" and ctx.vars["tok"] == "t" and ctx.vars["missing"] == "NF"
    assert (ctx.vars["all_1"], ctx.vars["all_2"], ctx.vars["all_matchNr"]) == ("101", "102", "2")
    assert ctx.vars["obj"] == '{"id":101,"tags":["a"]}'
    extract(json, exchange(b"not json"), ctx)
    assert ctx.vars["first"] == "" and ctx.vars["missing"] == "NF"


def response_assertion(field: str, test_type: int, *patterns: str, assume: bool = False) -> Assertion:
    texts = tuple(map(literal, patterns))
    return Assertion("response", "a", field=field, test_type=test_type, patterns=texts, assume_success=assume)


def test_response_assertion_messages_are_jmeters() -> None:
    ctx = Context()
    page = exchange(b"hello world", status=404)
    assert check(response_assertion("body", 16, "world"), page, ctx) is None
    assert check(response_assertion("body", 2, "w.rld"), page, ctx) is None
    assert (
        check(response_assertion("body", 2 | 4, "w.rld"), page, ctx)
        == "Test failed: text expected not to contain /w.rld/"
    )
    assert (
        check(response_assertion("body", 1, "hello"), page, ctx)
        == "Test failed: text expected to match /hello/"
    )
    assert check(response_assertion("code", 8, "200"), page, ctx) == (
        "Test failed: code expected to equal /\n\n****** received  : [[[404]]]\n\n"
        "****** comparison: [[[200]]]\n\n/"
    )
    assert check(response_assertion("code", 8 | 32, "200", "404"), page, ctx) is None  # OR
    assert check(response_assertion("url", 16, "/x"), page, ctx) is None
    assert check(response_assertion("request_headers", 16, "X-Trace: t1"), page, ctx) is None
    assert check(response_assertion("headers", 16, "Content-Type: text/html"), page, ctx) is None
    assert not page.response.status_accepted
    assert check(response_assertion("code", 8, "404", assume=True), page, ctx) is None
    assert page.response.status_accepted  # "Ignore status": the 404 now passes


def test_duration_and_size_assertions() -> None:
    ctx = Context()
    page = exchange(b"x" * 20)
    page.response.received = 120
    slow = Assertion("duration", "d", limit=literal("10"))
    assert check(slow, page, ctx) == (
        "The operation lasted too long: It took 12 milliseconds, "
        "but should not have lasted longer than 10 milliseconds."
    )
    small = Assertion("size", "s", field="network", operator=4, limit=literal("100"))
    assert (
        check(small, page, ctx)
        == "The result was the wrong size: It was 120 bytes, but should have been less than 100 bytes."
    )
    assert check(Assertion("size", "s", field="body", operator=1, limit=literal("20")), page, ctx) is None


def test_gzip_bodies_are_checked_decompressed() -> None:
    page = exchange(gzip.compress(b'{"ok": true}'), headers=b"Content-Encoding: gzip\r\nContent-Type: x")
    assert page.text() == '{"ok": true}'


def sampler(tmp_path: Path, body: str) -> HttpSampler:
    path = tmp_path / "p.jmx"
    path.write_text(plan(body))
    node = load_jmx(path, {}).groups[0].root[0]
    assert isinstance(node, HttpSampler)
    return node


def arg(name: str, value: str, encode: bool = False) -> str:
    return element("HTTPArgument", name, prop("Argument.name", name) + prop("Argument.value", value)
                   + prop("HTTPArgument.always_encode", encode) + prop("Argument.metadata", "="))  # fmt: skip


def with_args(*args: str) -> str:
    items = (
        "".join(a.replace("<hashTree/>", "") for a in args)
        .replace("<HTTPArgument ", '<elementProp elementType="HTTPArgument" ')
        .replace("</HTTPArgument>", "</elementProp>")
    )
    return f'<elementProp name="HTTPsampler.Arguments" elementType="Arguments"><collectionProp name="Arguments.arguments">{items}</collectionProp></elementProp>'  # noqa: E501


@pytest.mark.parametrize(
    ("method", "raw", "url", "body", "content_type"),
    [
        ("GET", False, "http://h:81/s?q=a b&r=x%2By", None, None),  # query: encoded only when asked
        ("POST", False, "http://h:81/s", "q=a+b&r=x%2By", "application/x-www-form-urlencoded; charset=UTF-8"),
        ("POST", True, "http://h:81/s", "a bx+y", "text/plain; charset=UTF-8"),
    ],
)
def test_http_sampler_query_and_bodies(
    tmp_path: Path, method: str, raw: bool, url: str, body: str | None, content_type: str | None
) -> None:
    sampler_xml = http("s", "s", method, postBodyRaw=raw).replace(
        "</HTTPSamplerProxy>",
        with_args(arg("q", "a b"), arg("r", "x+y", encode=True)) + "</HTTPSamplerProxy>",
    )
    node = sampler(tmp_path, defaults("h", 81) + thread_group("g", sampler_xml))
    assert node.url.static == url
    assert (node.body.static if node.body is not None else None) == body
    headers = {name: value.static for name, value in node.headers}
    assert headers.get("Content-Type") == content_type
