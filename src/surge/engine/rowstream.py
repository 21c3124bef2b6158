"""Rows sent to the runner instead of written to a part file: the worker's writer in cluster mode.

It has ``JtlPartWriter``'s interface (``rows``, ``flush``, ``close``, the counts), so the worker's
hot path appends to ``rows`` as always; each flush (once a second) sends what was recorded in one
``Rows`` message, and the runner writes it to the worker's part file on its own machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surge.engine.messages import Rows


class RowStream:
    """A worker's rows, streamed: ``report`` receives a ``Rows`` message per flush."""

    def __init__(self, worker_index: int, report: Callable[[Any], None]) -> None:
        self.worker_index = worker_index
        self.report = report
        self.rows: list[str] = []
        self.rows_written = 0  # handed to the transport (the runner counts what arrived)
        self.rows_lost = 0
        self.error: OSError | None = None  # never set: the transport reports its own failures
        self.closed = False

    def flush(self) -> None:
        rows = self.rows
        if not rows:
            return
        self.report(Rows(self.worker_index, "".join(rows).encode(), len(rows)))
        self.rows_written += len(rows)
        rows.clear()

    def close(self) -> None:
        if not self.closed:
            self.flush()
            self.closed = True
