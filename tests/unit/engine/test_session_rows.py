"""A scripted user's sample rows: checks made after a request fail that request's row (no sockets)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from surge.engine.session import Response, Session
from surge.engine.session_record import PendingSample
from surge.engine.summary import LabelStats
from surge.engine.unit import GroupState
from surge.results.columns import DEFAULT_COLUMNS


class FakeWorker:
    epoch_offset_ns = 0
    stopping = False

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.rows_append = self.rows.append
        self.label_stats: dict[str, LabelStats] = {}

    def stats_for(self, label: str) -> LabelStats:
        return self.label_stats.setdefault(label, LabelStats(label))


def pending(session: Session, stats: LabelStats, status: int, ok: bool, body: bytes = b"ok") -> Response:
    response = Response("http://h/x", status, "OK" if ok else "Not Found", {}, body, 12, None)
    session._pending = PendingSample(response, stats.label, 1000, 0, 12_000_000, str(status),
                                     response.reason, ok, f"{status} x", "text", 40, 30, 5, 0)  # fmt: skip
    session._last = response
    return response


def rows(worker: FakeWorker) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO("".join(worker.rows)), fieldnames=DEFAULT_COLUMNS))


def test_check_fails_the_last_sample_with_its_message_and_counts_it() -> None:
    worker = FakeWorker()
    session = Session(worker, GroupState(0), "users 1-3", 3)  # type: ignore[arg-type]
    stats = worker.stats_for("GET /x")
    pending(session, stats, 200, True)
    assert session.check(True, "fine") is True
    assert session.check(False, "Test failed: id expected to be 41") is False
    session.check(False, "a second message is not kept")
    assert worker.rows == []  # written only when the user moves on
    session.flush()
    (row,) = rows(worker)
    assert (row["success"], row["failureMessage"], row["threadName"]) == (
        "false", "Test failed: id expected to be 41", "users 1-3",
    )  # fmt: skip
    assert stats.errors == 1 and stats.error_kinds == Counter({"Test failed: id expected to be 41": 1})
    session.flush()
    assert len(worker.rows) == 1  # flushed once


def test_expected_status_passes_and_unchecked_failures_keep_the_status_kind() -> None:
    worker = FakeWorker()
    session = Session(worker, GroupState(0), "users 1-1", 1)  # type: ignore[arg-type]
    stats = worker.stats_for("GET /x")
    accepted = pending(session, stats, 404, False)
    accepted.status_accepted = True
    session.flush()
    pending(session, stats, 404, False)
    session.flush()
    first, second = rows(worker)
    assert (first["success"], first["failureMessage"]) == ("true", "")
    assert (second["success"], second["failureMessage"]) == ("false", "")
    assert stats.error_kinds == Counter({"404 x": 1})
