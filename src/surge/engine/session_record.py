"""A scripted user's finished request waiting for its checks, and how it becomes JTL rows.

``PendingSample`` holds one exchange, or a followed redirect chain with its hops in ``subs``
(``surge.engine.redirects`` says how JMeter records those). ``to_samples`` turns it into the
``Sample`` rows once the user's checks are done, and ``count`` adds it to the label statistics.
"""

from __future__ import annotations

from typing import Protocol

from surge.engine.response import CapturingConnection, Response
from surge.engine.summary import LabelStats
from surge.results.sample import Sample, non_http_code, non_http_error_kind, non_http_message


class _Clock(Protocol):
    """What building a sample needs of the worker (``surge.engine.unit.WorkerContext``)."""

    @property
    def epoch_offset_ns(self) -> int: ...
    @property
    def ok_by_status(self) -> list[bool]: ...


class PendingSample:
    """A finished request whose row waits for the user's checks (times in epoch ms)."""

    __slots__ = ("code", "connect_ms", "data_type", "elapsed_ms", "end_ns", "error_kind", "label",
                 "latency_ms", "message", "ok", "received", "response", "sent", "start_ms", "start_ns",
                 "subs", "url")  # fmt: skip

    def __init__(
        self,
        response: Response,
        label: str,
        start_ms: int,
        start_ns: int,
        end_ns: int,
        code: str,
        message: str,
        ok: bool,
        error_kind: str,
        data_type: str,
        received: int,
        sent: int,
        latency_ms: int,
        connect_ms: int,
    ) -> None:
        self.response = response
        self.label = label
        self.start_ms = start_ms
        self.elapsed_ms = response.elapsed_ms
        self.start_ns = start_ns  # perf counter, for the statistics' histogram
        self.end_ns = end_ns
        self.code = code  # responseCode and responseMessage
        self.message = message
        self.ok = ok  # by status alone; checks may fail it later
        self.error_kind = error_kind  # "" for an HTTP response: "status reason", built only if it fails
        self.data_type = data_type
        self.received = received
        self.sent = sent
        self.latency_ms = latency_ms
        self.connect_ms = connect_ms
        self.url = response.url
        self.subs: list[PendingSample] | None = None  # the hops of a followed redirect chain

    @property
    def elapsed_us(self) -> int:
        return (self.end_ns - self.start_ns) // 1000

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.elapsed_ms


def response_hop(
    worker: _Clock,
    url: str,
    label: str,
    conn: CapturingConnection,
    start_ns: int,
    now_ns: int,
    sent: int,
) -> PendingSample:
    """The sample of a request that got an HTTP response (any status)."""
    off = worker.epoch_offset_ns
    start_ms = (start_ns + off) // 1_000_000
    reason = conn.reason.decode("latin-1")
    elapsed_ms = (now_ns + off) // 1_000_000 - start_ms
    parts = conn.body_parts
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    response = Response(url, conn.status, reason, conn.head, body, elapsed_ms, None)
    response.received = conn.received
    connect_ms = 0
    if conn.connect_ns:
        connect_ms = (conn.connect_ns + off) // 1_000_000 - start_ms
        conn.connect_ns = 0
    return PendingSample(
        response,
        label,
        start_ms,
        start_ns,
        now_ns,
        str(conn.status),
        reason,
        worker.ok_by_status[conn.status],
        "",
        "text",
        conn.received,
        sent,
        (conn.first_byte_ns + off) // 1_000_000 - start_ms,
        connect_ms,
    )


def failure_hop(
    off: int,
    url: str,
    label: str,
    error: tuple[str, str],
    start_ns: int,
    now_ns: int,
    conn: CapturingConnection | None,
    sent: int,
) -> PendingSample:
    """The sample of a request that got no HTTP response; ``off`` is the epoch offset in ns."""
    start_ms = (start_ns + off) // 1_000_000
    code, message = error
    received = conn.received if conn is not None else 0
    elapsed_ms = (now_ns + off) // 1_000_000 - start_ms
    response = Response(url, 0, "", {}, b"", elapsed_ms, f"{code}: {message}")
    first_byte_ns = conn.first_byte_ns if conn is not None and conn.received else 0
    connect_ns = conn.connect_ns if conn is not None else 0
    return PendingSample(
        response,
        label,
        start_ms,
        start_ns,
        now_ns,
        non_http_code(code),
        non_http_message(message),
        False,
        non_http_error_kind(code, message),
        "",
        received,
        sent,
        (first_byte_ns + off) // 1_000_000 - start_ms if first_byte_ns else 0,
        (connect_ns + off) // 1_000_000 - start_ms if connect_ns else 0,
    )


def error_hop(last: PendingSample, code: str, message: str) -> PendingSample:
    """A failed hop added after ``last`` without a request (too many redirects, a bad Location)."""
    response = Response(last.url, 0, "", {}, b"", 0, f"{code}: {message}")
    return PendingSample(
        response, last.label, last.end_ms, last.end_ns, last.end_ns, non_http_code(code),
        non_http_message(message), False, non_http_error_kind(code, message), "", 0, 0, 0, 0,
    )  # fmt: skip


def chain_sample(hops: list[PendingSample], label: str, record_hops: bool) -> PendingSample:
    """One sample for a redirect chain: first start to last end, the last response's outcome."""
    first = hops[0]
    last = hops[-1]
    response = last.response
    response.elapsed_ms = last.end_ms - first.start_ms
    parent = PendingSample(
        response,
        label,
        first.start_ms,
        first.start_ns,
        last.end_ns,
        last.code,
        last.message,
        last.ok,
        last.error_kind,
        last.data_type,
        sum(hop.received for hop in hops),
        sum(hop.sent for hop in hops),
        first.latency_ms,
        first.connect_ms,
    )
    response.received = parent.received
    if record_hops:
        parent.subs = hops
    return parent


def count(stats: LabelStats, pending: PendingSample, ok: bool, failure: str | None) -> None:
    """Add one sample to its label's statistics."""
    stats.append(pending.elapsed_us)
    stats.received += pending.received
    stats.sent += pending.sent
    if not ok:
        count_error(stats, pending, failure)


def count_error(stats: LabelStats, pending: PendingSample, failure: str | None) -> None:
    """A failed sample among its label's errors, by kind (its check's message, or its status)."""
    stats.errors += 1
    kind = failure if failure is not None else pending.error_kind or _status_kind(pending.response)
    stats.error_kinds[kind] += 1


def _status_kind(response: Response) -> str:
    return f"{response.status} {response.reason}"


def to_sample(
    pending: PendingSample,
    label: str,
    ok: bool,
    failure: str,
    thread_name: str,
    grp_threads: int,
    all_threads: int,
) -> Sample:
    return Sample(
        timestamp_ms=pending.start_ms,
        elapsed_ms=pending.elapsed_ms,
        label=label,
        response_code=pending.code,
        response_message=pending.message,
        thread_name=thread_name,
        data_type=pending.data_type,
        success=ok,
        failure_message=failure,
        bytes_received=pending.received,
        bytes_sent=pending.sent,
        grp_threads=grp_threads,
        all_threads=all_threads,
        url=pending.url,
        latency_ms=pending.latency_ms,
        connect_ms=pending.connect_ms,
    )
