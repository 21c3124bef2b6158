"""Templates, JSON paths, extraction and assertions (pure), with JMeter's failure messages."""

from __future__ import annotations

import pytest

from surge.errors import UsageError
from surge.scenario.checks import (
    Assertion,
    Extraction,
    Template,
    is_missing,
    json_lookup,
    parse_json_path,
    render_json,
)

BODY = b'{"id": 42, "user": {"name": "ada", "tags": ["x", "y"], "ok": true}, "token": "t-1"}'
HEADERS = {"location": "/items/42", "content-type": "application/json"}


def test_templates_substitute_known_names_and_keep_unknown_ones() -> None:
    template = Template.parse("/users/${id}/orders?token=${token}&x=${missing}")
    assert template.names == ("id", "token", "missing")
    assert template.render({"id": "7", "token": "a b"}) == "/users/7/orders?token=a b&x=${missing}"
    assert Template.parse("plain").is_static and Template.parse("$id {x}").is_static
    assert render_json({"u": "${id}", "n": [1, "${id}"], "${k}": True}, {"id": "9", "k": "key"}) == {
        "u": "9", "n": [1, "9"], "key": True,
    }  # fmt: skip


def test_json_paths() -> None:
    assert parse_json_path("$.user.tags[0]") == ("user", "tags", 0)
    assert parse_json_path("$['user']['name']") == ("user", "name")
    assert parse_json_path("$.a[-1]") == ("a", -1)
    assert parse_json_path("$") == ()
    document = {"user": {"tags": ["x", "y"]}}
    assert json_lookup(document, ("user", "tags", -1)) == "y"
    assert is_missing(json_lookup(document, ("user", "tags", 5)))
    assert is_missing(json_lookup(document, ("user", "name")))
    for bad in ("user.name", "$.a..b", "$.a[x]", "$[?(@.a)]"):
        with pytest.raises(UsageError, match="JSON path"):
            parse_json_path(bad)


def test_extraction() -> None:
    def extract(e: Extraction) -> str | None:
        return e.extract(200, HEADERS, BODY, [])

    assert extract(Extraction("v", "json", "$.user.name")) == "ada"
    assert extract(Extraction("v", "json", "$.id")) == "42"
    assert extract(Extraction("v", "json", "$.user.ok")) == "true"
    assert extract(Extraction("v", "json", "$.user.tags")) == '["x","y"]'
    assert extract(Extraction("v", "json", "$.nope")) is None
    assert extract(Extraction("v", "json", "$.nope", default="D")) == "D"
    assert extract(Extraction("v", "regex", r'"token": "([^"]+)"')) == "t-1"
    assert extract(Extraction("v", "regex", r'"(na)(me)"', group=2)) == "me"
    assert extract(Extraction("v", "regex", r"absent(\d)", default="0")) == "0"
    assert extract(Extraction("v", "header", "Location")) == "/items/42"
    assert Extraction("v", "json", "$.id").extract(200, {}, b"not json", []) is None
    with pytest.raises(UsageError, match="invalid regex"):
        Extraction("v", "regex", "(unclosed")
    with pytest.raises(UsageError, match="no group 2"):
        Extraction("v", "regex", "(one)", group=2)


@pytest.mark.parametrize(
    ("assertion", "message"),
    [
        (Assertion("status", (200,)), None),
        (Assertion("status", (201, 204)), "Test failed: code expected to equal /201|204/ but was /200/"),
        (Assertion("contains", '"ada"'), None),
        (Assertion("contains", "bob"), "Test failed: text expected to contain /bob/"),
        (Assertion("not_contains", "ada"), "Test failed: text expected not to contain /ada/"),
        (Assertion("matches", r'"id": \d+'), None),
        (Assertion("matches", r"^\d+$"), r"Test failed: text expected to match /^\d+$/"),
        (Assertion("json", "ada", path_text="$.user.name"), None),
        (Assertion("json", 42, path_text="$.id"), None),
        (Assertion("json", "42", path_text="$.id"), None),
        (Assertion("json", True, path_text="$.user.ok"), None),
        (Assertion("json", "bob", path_text="$.user.name"), "Value expected to be 'bob', but found 'ada'"),
        (Assertion("json", 1, path_text="$.user.age"), "No results for path: $.user.age"),
        (Assertion("max_elapsed", 2000), None),
        (
            Assertion("max_elapsed", 500),
            "The operation lasted too long: It took 1,234 milliseconds, but should not have lasted longer "
            "than 500 milliseconds.",
        ),
    ],
)
def test_assertion_messages_are_jmeters(assertion: Assertion, message: str | None) -> None:
    assert assertion.check(200, BODY, 1234, []) == message


def test_assertion_texts_take_variables() -> None:
    assertion = Assertion("contains", "${who}")
    assert assertion.check(200, BODY, 1, [], {"who": "ada"}) is None
    assert assertion.check(200, BODY, 1, [], {"who": "bob"}) == "Test failed: text expected to contain /bob/"
