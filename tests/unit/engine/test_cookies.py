"""The cookie jar's RFC 6265 rules: domain, path, expiry, Secure, replacement and order (no sockets)."""

from __future__ import annotations

import pytest

from surge.engine.cookies import CookieJar, default_path, domain_matches, path_matches


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_host_only_cookie_goes_back_to_its_host_alone() -> None:
    jar = CookieJar()
    assert jar.store("sid=abc", "shop.example.com", "/login")
    assert jar.header("http", "shop.example.com", "/cart") == "sid=abc"
    assert jar.header("http", "www.shop.example.com", "/cart") == ""  # host-only: no subdomains
    assert jar.header("http", "example.com", "/cart") == ""


def test_domain_attribute_covers_subdomains_and_must_match_the_host() -> None:
    jar = CookieJar()
    assert jar.store("a=1; Domain=.example.com", "shop.example.com", "/")
    assert jar.header("https", "www.example.com", "/") == "a=1"
    assert jar.header("https", "example.com", "/") == "a=1"
    assert jar.header("https", "badexample.com", "/") == ""  # not a dot boundary
    assert not jar.store("b=2; Domain=other.org", "shop.example.com", "/")  # another site: ignored
    assert not jar.store("c=3; Domain=com", "shop.example.com", "/")  # a whole top-level domain
    assert not jar.store("d=4; Domain=shop.example.com", "example.com", "/")  # a subdomain of the host
    assert [c.name for c in jar] == ["a"]


def test_ip_hosts_match_only_themselves() -> None:
    assert domain_matches("127.0.0.1", "127.0.0.1")
    assert not domain_matches("10.0.0.1", "0.0.1")
    jar = CookieJar()
    jar.store("k=v", "127.0.0.1", "/")
    assert jar.header("http", "127.0.0.1", "/x") == "k=v"
    assert jar.header("http", "127.0.0.2", "/x") == ""


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [("", "/"), ("x", "/"), ("/", "/"), ("/login", "/"), ("/a/b/login", "/a/b"), ("/a/b/", "/a/b")],
)
def test_default_path(request_path: str, expected: str) -> None:
    assert default_path(request_path) == expected


def test_path_rules() -> None:
    assert path_matches("/docs/web", "/docs")
    assert path_matches("/docs/", "/docs/")
    assert path_matches("/docs", "/docs")
    assert not path_matches("/docsets", "/docs")  # a prefix that is not a directory
    assert not path_matches("/", "/docs")
    jar = CookieJar()
    jar.store("p=1; Path=/prefs", "h", "/login")
    jar.store("d=2", "h", "/shop/login")  # default path /shop
    jar.store("r=3; Path=relative", "h", "/x/y")  # a path not starting with / counts as absent: /x
    assert jar.header("http", "h", "/prefs/colour") == "p=1"
    assert jar.header("http", "h", "/shop/cart") == "d=2"
    assert jar.header("http", "h", "/shopping") == ""
    assert jar.header("http", "h", "/x/z") == "r=3"


def test_expiry_max_age_wins_and_expired_cookies_delete() -> None:
    clock = Clock()
    jar = CookieJar(clock)
    jar.store("a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "h", "/")  # Max-Age wins
    jar.store("b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT", "h", "/")
    jar.store("c=3; Expires=Wed, 21-Oct-2099 07:28:00 GMT", "h", "/")  # the Netscape form
    jar.store("gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "h", "/")  # expired: never stored
    assert jar.header("http", "h", "/") == "a=1; b=2; c=3"
    clock.now += 61
    assert jar.header("http", "h", "/") == "b=2; c=3"  # a expired meanwhile, and is dropped
    assert len(jar) == 2
    jar.store("b=deleted; Max-Age=0", "h", "/")  # how a server deletes a cookie
    jar.store("c=x; Max-Age=-5", "h", "/")
    assert jar.header("http", "h", "/") == ""


def test_secure_cookies_only_over_https() -> None:
    jar = CookieJar()
    jar.store("s=1; Secure; HttpOnly", "h", "/")
    jar.store("p=2", "h", "/")
    assert jar.header("https", "h", "/") == "s=1; p=2"
    assert jar.header("http", "h", "/") == "p=2"


def test_same_name_domain_path_replaces_and_keeps_its_place() -> None:
    jar = CookieJar()
    jar.store("first=1", "h", "/")
    jar.store("second=2", "h", "/")
    jar.store("first=changed", "h", "/")
    jar.store("deep=3; Path=/a/b", "h", "/")
    # Longer paths first, then by creation (a replaced cookie keeps its creation time).
    assert jar.header("http", "h", "/a/b/c") == "deep=3; first=changed; second=2"
    jar.store("first=other-path; Path=/a", "h", "/")  # another path: another cookie
    assert jar.header("http", "h", "/a/x") == "first=other-path; first=changed; second=2"


@pytest.mark.parametrize("header", ["novalue", "=nameless", "", ";"])
def test_malformed_set_cookie_is_ignored(header: str) -> None:
    jar = CookieJar()
    assert not jar.store(header, "h", "/")
    assert len(jar) == 0


def test_host_names_compare_case_insensitively() -> None:
    jar = CookieJar()
    jar.store("a=1; Domain=Example.COM", "WWW.example.com", "/")
    assert jar.header("http", "www.EXAMPLE.com", "/") == "a=1"


def test_a_jar_is_bounded() -> None:
    jar = CookieJar()
    for i in range(1000):
        jar.store(f"c{i}=v", "h", "/")
    assert len(jar) == 300
    assert "c999=v" in jar.header("http", "h", "/") and "c0=v" not in jar.header("http", "h", "/")
