"""Plan validation and the small text formats it parses (think time, status lists)."""

from __future__ import annotations

import pytest

from surge.errors import UsageError
from surge.plan import ClientOptions, LoadModel, Request, ThinkTime


def test_request_derives_origin_target_and_default_label() -> None:
    r = Request("http://example.test:8080/a/b?x=1,2")
    assert r.origin == ("http", "example.test", 8080)
    assert r.target == "/a/b?x=1,2"
    assert r.label == "GET /a/b"


def test_https_default_port_and_root_path() -> None:
    r = Request("https://example.test", method="HEAD")
    assert (r.port, r.target, r.label) == (443, "/", "HEAD /")


@pytest.mark.parametrize("url", ["ftp://x/", "http://", "not a url", "http://x:99999/", "example.com/x"])
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        Request(url)


def test_bad_method_and_header_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        Request("http://x/", method="GE T")
    with pytest.raises(UsageError):
        Request("http://x/", headers=(("X-A", "1\r\nInjected: yes"),))


def test_think_time_parsing() -> None:
    assert ThinkTime.parse("200ms") == ThinkTime(0.2, 0.2)
    assert ThinkTime.parse("100ms-500ms") == ThinkTime(0.1, 0.5)
    assert ThinkTime.parse("0").is_zero
    with pytest.raises(UsageError):
        ThinkTime.parse("500ms-100ms")
    with pytest.raises(UsageError):
        ThinkTime.parse("soon")


def test_load_model_validation() -> None:
    with pytest.raises(UsageError):
        LoadModel(users=-1, duration_s=1)
    with pytest.raises(UsageError):
        LoadModel(users=1)
    with pytest.raises(UsageError):
        LoadModel(users=1, iterations=0)
    with pytest.raises(UsageError):
        LoadModel(users=10, ramp_up_s=20, duration_s=10)
    assert LoadModel(users=10, ramp_up_s=20, iterations=5).ramp_up_s == 20


def test_ok_statuses() -> None:
    ok = ClientOptions.parse_ok_statuses("200-204,404")
    assert ok == frozenset({200, 201, 202, 203, 204, 404})
    options = ClientOptions(ok_statuses=ok)
    assert options.is_ok(404) and not options.is_ok(500)
    assert ClientOptions().is_ok(302) and not ClientOptions().is_ok(400)
    with pytest.raises(UsageError):
        ClientOptions.parse_ok_statuses("abc")
    with pytest.raises(UsageError):
        ClientOptions.parse_ok_statuses("500-400")
