"""What a scripted user does with cookies and redirects: the options, and the rules for the next hop.

A followed redirect is recorded the way JMeter's HTTP Request records it ("Follow Redirects"):
one sample for the whole chain under the request's label (start of the first request, end of
the last; status, message, URL and body of the last response; bytes summed; latency and connect
time of the first), followed by one sub-sample per request, labelled ``label-0``, ``label-1``...
in the order they were sent. A chain longer than ``max_redirects`` ends with a failed sub-sample
``Exceeded maximum number of redirects: N``, which fails the whole sample too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from surge.errors import UsageError

if TYPE_CHECKING:
    from surge.engine.response import Response

# 300 Multiple Choices and 304 Not Modified name no next location to go to.
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
TOO_MANY_REDIRECTS = "TooManyRedirects"
DEFAULT_MAX_REDIRECTS = 20  # JMeter's httpsampler.max_redirects
_DROPPED_ON_GET = frozenset(("content-type", "content-length", "transfer-encoding"))


@dataclass(frozen=True)
class SessionOptions:
    """Cookies and redirects of a scripted user (plan files, Python users, .jmx plans).

    ``record_redirects=False`` follows a chain but records it as one sample, as JMeter's
    "Redirect Automatically" (HttpClient follows it, JMeter sees only the end).
    """

    cookies: bool = True
    follow_redirects: bool = True
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    record_redirects: bool = True
    # (host, port, to host, to port): connect there instead, as curl's --connect-to (the Host
    # header and TLS name stay the request's), to run a plan against a local copy of a service.
    connect_to: tuple[tuple[str, int, str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.max_redirects < 0:
            raise UsageError(f"max redirects must be 0 or more (got {self.max_redirects})")


def parse_connect_to(text: str) -> tuple[str, int, str, int]:
    """``HOST:PORT:TO_HOST:TO_PORT`` (curl's --connect-to, without its empty-field wildcards)."""
    parts = text.rsplit(":", 3)
    if len(parts) != 4 or not parts[0] or not parts[2]:
        raise UsageError(
            f"--connect-to {text!r}: give HOST:PORT:TO_HOST:TO_PORT, e.g. shop.example:443:127.0.0.1:8443"
        )
    try:
        port, to_port = int(parts[1]), int(parts[3])
    except ValueError as exc:
        raise UsageError(f"--connect-to {text!r}: the ports must be numbers") from exc
    if not (0 < port < 65536 and 0 < to_port < 65536):
        raise UsageError(f"--connect-to {text!r}: ports go from 1 to 65535")
    return parts[0].lower(), port, parts[2], to_port


def redirect_method(method: str, status: int) -> str:
    """The next hop's method: 307 and 308 keep it; 301, 302 and 303 turn it into GET (HEAD stays)."""
    if status in (307, 308) or method == "HEAD":
        return method
    return "GET"


def too_many_redirects_message(limit: int) -> str:
    return f"Exceeded maximum number of redirects: {limit}"


def location_of(response: Response) -> str | None:
    """The response's ``Location`` header, read from the raw headers (cheaper than decoding all)."""
    for name, value in response.raw_headers:
        if name.lower() == b"location":
            return value.decode("latin-1")
    return None


def without_body_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A redirect that turns the request into a GET drops its body, and the headers that describe it."""
    return tuple((name, value) for name, value in headers if name.lower() not in _DROPPED_ON_GET)
