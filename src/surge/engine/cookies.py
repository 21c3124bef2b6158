"""A virtual user's cookie jar, following RFC 6265's storage model: domain, path, expiry and Secure.

One jar per user (as JMeter's HTTP Cookie Manager keeps one per thread). ``store`` takes a
response's ``Set-Cookie`` values, ``header`` gives the ``Cookie`` header for a request. What is
simplified for a load generator, and why:

- No public-suffix list: a ``Domain`` attribute without an inner dot (``Domain=com``) is refused
  unless it is the request host itself, which stops the common mistakes a list would catch.
- ``HttpOnly`` and ``SameSite`` are kept but not acted on: there are no scripts and no
  cross-site navigations in a load test.
- A jar holds at most ``MAX_COOKIES`` cookies (the least recently set go first), so a server
  that sets a new cookie on every response cannot grow a user's memory without bound.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from http import cookiejar

__all__ = ["Cookie", "CookieJar", "default_path", "domain_matches", "path_matches"]

MAX_COOKIES = 300


class Cookie:
    """One stored cookie (RFC 6265 section 5.3's fields that matter here)."""

    __slots__ = ("created", "domain", "expires", "host_only", "http_only", "name", "path", "secure", "value")

    def __init__(
        self,
        name: str,
        value: str,
        domain: str,
        path: str,
        *,
        host_only: bool = True,
        secure: bool = False,
        http_only: bool = False,
        expires: float | None = None,
        created: int = 0,
    ) -> None:
        self.name = name
        self.value = value
        self.domain = domain  # lower case, no leading dot
        self.path = path
        self.host_only = host_only
        self.secure = secure
        self.http_only = http_only
        self.expires = expires  # epoch seconds; None: a session cookie (lives as long as the user)
        self.created = created  # order of creation, for the Cookie header's order

    def __repr__(self) -> str:
        return f"Cookie({self.name}={self.value}; domain={self.domain}; path={self.path})"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def domain_matches(host: str, domain: str) -> bool:
    """RFC 6265 5.1.3: ``host`` is ``domain``, or a name under it (never an IP address)."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


def default_path(request_path: str) -> str:
    """RFC 6265 5.1.4: the request path up to, not including, its last ``/`` (``/`` at least)."""
    if not request_path.startswith("/"):
        return "/"
    last = request_path.rfind("/")
    return "/" if last == 0 else request_path[:last]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4: the cookie's path is the request path or a directory prefix of it."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


class CookieJar:
    """The cookies of one virtual user; ``clock`` gives epoch seconds (tests pass their own)."""

    __slots__ = ("_cookies", "_counter", "clock", "cookies")

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self.cookies = self._cookies  # by (name, domain, path); read-only for callers (a quick "any?")
        self._counter = 0
        self.clock: Callable[[], float] = clock if clock is not None else time.time

    def __len__(self) -> int:
        return len(self._cookies)

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def clear(self) -> None:
        self._cookies.clear()

    def add(self, cookie: Cookie) -> None:
        """Store ``cookie`` as given (cookies defined in a plan, not received)."""
        self._counter += 1
        cookie.created = self._counter
        self._put(cookie)

    def _put(self, cookie: Cookie) -> None:
        key = (cookie.name, cookie.domain, cookie.path)
        old = self._cookies.pop(key, None)
        if old is not None:
            cookie.created = old.created  # RFC 6265 5.3 step 11.3: keep the old creation time
        self._cookies[key] = cookie
        if len(self._cookies) > MAX_COOKIES:
            del self._cookies[next(iter(self._cookies))]

    def store(self, set_cookie: str, host: str, request_path: str) -> bool:
        """Store one ``Set-Cookie`` value received from ``host`` for ``request_path``.

        Returns False when the cookie is ignored (malformed, or a domain the host may not set).
        """
        host = host.lower()
        pair, _, attributes = set_cookie.partition(";")
        name, eq, value = pair.partition("=")
        name = name.strip()
        if not eq or not name:
            return False
        value = value.strip()
        domain = ""
        path = ""
        secure = http_only = False
        expires: float | None = None
        max_age: float | None = None
        for attribute in attributes.split(";") if attributes else ():
            key, _, raw = attribute.partition("=")
            key = key.strip().lower()
            raw = raw.strip()
            if key == "expires":
                stamp = cookiejar.http2time(raw)  # type: ignore[attr-defined]  # lenient, as RFC 6265 5.1.1
                if stamp is not None:
                    expires = float(stamp)
            elif key == "max-age":
                if raw.isdigit() or (raw[:1] == "-" and raw[1:].isdigit()):
                    max_age = float(raw)
            elif key == "domain":
                if raw:
                    domain = raw.lstrip(".").lower()
            elif key == "path":
                path = raw if raw.startswith("/") else ""
            elif key == "secure":
                secure = True
            elif key == "httponly":
                http_only = True
        now = self.clock()
        if max_age is not None:  # Max-Age wins over Expires (5.3 step 3)
            expires = now + max_age if max_age > 0 else 0.0
        if domain:
            if not domain_matches(host, domain):
                return False
            if "." not in domain and domain != host:
                return False  # a top-level domain as a whole, without a public-suffix list
            host_only = False
        else:
            domain = host
            host_only = True
        cookie = Cookie(
            name,
            value,
            domain,
            path or default_path(request_path),
            host_only=host_only,
            secure=secure,
            http_only=http_only,
            expires=expires,
        )
        if expires is not None and expires <= now:
            # An expired cookie removes the one it names (how servers delete cookies).
            self._cookies.pop((cookie.name, cookie.domain, cookie.path), None)
            return True
        self._counter += 1
        cookie.created = self._counter
        self._put(cookie)
        return True

    def header(self, scheme: str, host: str, request_path: str) -> str:
        """The ``Cookie`` header value for a request, or ``""`` when no cookie applies.

        Longer paths first, then older cookies first (RFC 6265 5.4 step 2); expired cookies are
        dropped on the way.
        """
        if not self._cookies:
            return ""
        host = host.lower()
        now = self.clock()
        secure_ok = scheme == "https"
        chosen: list[Cookie] = []
        expired: list[tuple[str, str, str]] = []
        for key, cookie in self._cookies.items():
            if cookie.expires is not None and cookie.expires <= now:
                expired.append(key)
                continue
            if cookie.host_only:
                if host != cookie.domain:
                    continue
            elif not domain_matches(host, cookie.domain):
                continue
            if cookie.secure and not secure_ok:
                continue
            if not path_matches(request_path, cookie.path):
                continue
            chosen.append(cookie)
        for key in expired:
            del self._cookies[key]
        if not chosen:
            return ""
        if len(chosen) > 1:
            chosen.sort(key=lambda c: (-len(c.path), c.created))
        return "; ".join(f"{c.name}={c.value}" for c in chosen)
