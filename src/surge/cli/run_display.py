"""What ``surge run`` shows: the live line once a second and the summary table at the end."""

from __future__ import annotations

from typing import TextIO

from surge.engine.runner import Progress, RunResult
from surge.engine.summary import LabelSummary
from surge.units import format_duration_s


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


class LiveLine:
    """Rewrites one line in place on a terminal; prints one line per second otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.width = 0

    def show(self, progress: Progress) -> None:
        text = format_progress(progress)
        if self.tty:
            padding = " " * max(0, self.width - len(text))
            self.stream.write(f"\r{text}{padding}")
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def notice(self, text: str) -> None:
        """Something went wrong during the run: a line of its own, at once, above the live line."""
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0
        self.stream.write(f"surge run: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


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
