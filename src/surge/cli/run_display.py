"""What ``surge run`` shows: the live view once a second and the summary table at the end."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from surge.engine.run_result import LabelLive, Progress, RunResult
from surge.engine.summary import LabelSummary
from surge.units import format_duration_s
from surge.verdict.thresholds import ThresholdResult


def format_progress(p: Progress) -> str:
    """``  3s/10s  users 50  req/s 41230  p50 1.1ms p95 2.3ms p99 4.0ms  errors 0``."""
    if p.total_s is not None:
        clock = f"{format_duration_s(p.elapsed_s):>6}/{format_duration_s(p.total_s)}"
    elif p.planned_samples:
        clock = f"{format_duration_s(p.elapsed_s):>6}  {p.total_samples}/{p.planned_samples} samples"
    else:
        clock = f"{format_duration_s(p.elapsed_s):>6}"
    if p.after_end:
        # Not a whole second: what finished in the graceful stop, and what was still waiting then.
        waiting = f", {p.waiting_at_end} still waiting at the end" if p.waiting_at_end else ""
        return (
            f"{clock}  after the end  samples {p.samples}  p50 {_ms(p.p50_ms)} p95 {_ms(p.p95_ms)} "
            f"p99 {_ms(p.p99_ms)}  errors {p.errors}{waiting} (total {p.total_errors})"
        )
    waiting = f"  still waiting at the end {p.waiting_at_end}" if p.waiting_at_end else ""
    return (
        f"{clock}  users {p.active_users}  req/s {p.samples}  "
        f"p50 {_ms(p.p50_ms)} p95 {_ms(p.p95_ms)} p99 {_ms(p.p99_ms)}  "
        f"errors {p.errors} (total {p.total_errors}){waiting}"
    )


def _ms(value_ms: float) -> str:
    if value_ms < 10:
        return f"{value_ms:.2f}ms"
    if value_ms < 1000:
        return f"{value_ms:.0f}ms"
    return f"{value_ms / 1000:.2f}s"


def format_label(live: LabelLive, width: int) -> str:
    """``  GET /api   req/s 812.4  errors 0  p95 3.10ms``: one label of the live view."""
    label = live.label[:width].ljust(width)
    return f"  {label}  req/s {live.rate_per_s:>8.1f}  errors {live.errors:>5}  p95 {_ms(live.p95_ms)}"


def format_threshold(result: ThresholdResult) -> str:
    """``  threshold p95<300ms: passing so far (p95 = 120.0 ms, limit < 300.0 ms)``."""
    state = "passing so far" if result.passed else "FAILING so far"
    return f"  threshold {result.threshold.text}: {state} ({result.reason})"


# The live view's label column: long labels (URLs) are cut, the figures stay aligned.
LABEL_WIDTH = 40


class LiveLine:
    """The live view: the total line, then the busiest labels and the thresholds' state so far.

    On a terminal the block is redrawn in place once a second; otherwise its lines are printed
    once a second. Labels are shown when the run has more than one, thresholds when given.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.height = 0  # lines of the block drawn last (terminal)
        self.thresholds: Callable[[float], Sequence[ThresholdResult]] | None = None

    def show(self, progress: Progress) -> None:
        lines = [format_progress(progress)]
        if len(progress.labels) > 1:
            width = min(LABEL_WIDTH, max(len(live.label) for live in progress.labels))
            lines += [format_label(live, width) for live in progress.labels]
        if self.thresholds is not None and progress.elapsed_s > 0:
            lines += [format_threshold(result) for result in self.thresholds(progress.elapsed_s)]
        if self.tty:
            self._erase()
            self.stream.write("\n".join(lines))
            self.height = len(lines)
        else:
            self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def notice(self, text: str) -> None:
        """Something went wrong during the run: a line of its own, at once, above the live view."""
        if self.tty:
            self._erase()
            self.height = 0
        self.stream.write(f"surge run: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.height:
            self.stream.write("\n")
            self.stream.flush()
            self.height = 0

    def _erase(self) -> None:
        """Clear the block drawn last and put the cursor at its start (ANSI: clear line, cursor up)."""
        if not self.height:
            return
        self.stream.write("\r\x1b[2K" + "\x1b[1A\x1b[2K" * (self.height - 1))


_COLUMNS = (
    "label",
    "samples",
    "errors",
    "mean",
    "p50",
    "p90",
    "p95",
    "p99",
    "max",
    "req/s",
    "KB/s in",
    "KB/s out",
)


def summary_rows(result: RunResult) -> list[tuple[str, ...]]:
    """The summary table as text cells: one row per label, then TOTAL."""

    def row(s: LabelSummary) -> tuple[str, ...]:
        return (
            s.label,
            str(s.samples),
            f"{s.error_pct:.2f}%",
            f"{s.mean_ms:.2f}",
            f"{s.p50_ms:.2f}",
            f"{s.p90_ms:.2f}",
            f"{s.p95_ms:.2f}",
            f"{s.p99_ms:.2f}",
            f"{s.max_ms:.2f}",
            f"{s.rate_per_s:.1f}",
            f"{s.received_kb_per_s:.1f}",
            f"{s.sent_kb_per_s:.1f}",
        )

    return [row(s) for s in result.labels] + [row(result.total)]


def print_summary(
    result: RunResult, stream: TextIO, *, headline: str = "", notes: tuple[str, ...] = ()
) -> None:
    """The per-label table; ``headline`` (the run's main problem) comes first, ``notes`` after it."""
    if headline:
        stream.write(headline + "\n")
    rows = [_COLUMNS, *summary_rows(result)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"{first}  {rest}".rstrip()

    status = "interrupted after" if result.interrupted else "finished in"
    stream.write(
        f"Run {status} {format_duration_s(result.duration_s)} with {result.processes} process(es); "
        "times in ms\n"
    )
    stream.write(line(rows[0]) + "\n")
    for cells in rows[1:]:
        stream.write(line(cells) + "\n")
    for kind, count in result.top_errors:
        stream.write(f"Errors: {count} x {kind}\n")
    for note in notes:
        stream.write(note + "\n")
    stream.write(f"Results: {result.out_path} ({result.rows_written} samples)\n")
    stream.flush()
