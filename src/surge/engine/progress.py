"""The live view of a run: the workers' ticks merged into one ``Progress`` per second.

A second is shown once every worker still running has reported it (all of them at the end), so
the figures are whole. Seconds after the planned end are marked (requests finishing in the graceful
stop); the run's last, partial second is not shown when nothing happened in it. Each shown second
is also where an ``AbortCheck`` (``--abort-on-fail``) is asked whether the run must end.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from surge.engine.histogram import PROGRESS_DIGITS, merge_encoded
from surge.engine.messages import Tick
from surge.engine.run_result import AbortCheck, AbortReason, LabelLive, LabelSink, Progress
from surge.plan import Plan

# The live per-label view: the busiest labels over this many of the last seconds, at most this many.
LIVE_WINDOW_S = 5
LIVE_LABELS = 10


@dataclass
class _Second:
    samples: int = 0
    errors: int = 0
    waiting: int = 0  # samples recorded because the run ended while they were waiting
    cpu_s: float = 0.0  # the workers' CPU in this second
    histograms: list[bytes] = field(default_factory=list)
    reporters: set[int] = field(default_factory=set)
    labels: dict[str, _LabelFigures] = field(default_factory=dict)  # when the live view asks


@dataclass
class _LabelFigures:
    samples: int = 0
    errors: int = 0
    histograms: list[bytes] = field(default_factory=list)


class ProgressBoard:
    """Merges ``Tick`` messages by second; calls ``on_progress`` and, on an abort, ``on_abort``."""

    def __init__(
        self,
        plan: Plan,
        processes: int,
        on_progress: Callable[[Progress], None] | None,
        abort_check: AbortCheck | None,
        on_abort: Callable[[], None],
        label_sinks: Sequence[LabelSink] = (),
        live_view: bool = False,
    ) -> None:
        self.plan = plan
        self.processes = processes
        self.on_progress = on_progress
        self.abort_check = abort_check
        self.on_abort = on_abort
        self.label_sinks = tuple(label_sinks) + ((abort_check,) if abort_check is not None else ())
        self.live_view = live_view
        self._window: deque[dict[str, _LabelFigures]] = deque()
        self._window_sums: dict[str, list[int]] = {}  # label -> [samples, errors] over the window
        self.aborted_by: AbortReason | None = None
        self.t0_epoch_ns = 0
        self.last_samples: dict[int, int] = {}  # per worker: samples of its last reported second
        self._seconds: dict[int, _Second] = {}
        self._total_samples = 0
        self._total_errors = 0
        self._active: dict[int, int] = {}
        self._gone: set[int] = set()  # workers that finished or died: nothing more will come

    def tick(self, tick: Tick) -> None:
        entry = self._seconds.setdefault(tick.second, _Second())
        if tick.labels is not None:
            for label in tick.labels:
                for sink in self.label_sinks:
                    sink.add(label.label, label.samples, label.errors, label.max_us, label.histogram)
                if self.live_view:
                    figures = entry.labels.setdefault(label.label, _LabelFigures())
                    figures.samples += label.samples
                    figures.errors += label.errors
                    figures.histograms.append(label.histogram)
        entry.samples += tick.samples
        entry.errors += tick.errors
        entry.waiting += tick.waiting_at_end
        entry.cpu_s += tick.cpu_s
        entry.histograms.append(tick.histogram)
        entry.reporters.add(tick.worker_index)
        self._active[tick.worker_index] = tick.active_users
        self.last_samples[tick.worker_index] = tick.samples
        self.flush(final=False)

    def worker_gone(self, index: int) -> None:
        """The worker finished (or died): its users are no longer active, no second waits for it."""
        self._active[index] = 0
        self._gone.add(index)
        self.flush(final=False)

    def flush(self, final: bool) -> None:
        """Emit every second that all still-running workers have reported (all of them when final)."""
        expected = set(range(self.processes)) - self._gone
        total_s = self.plan.duration_s
        for second in sorted(self._seconds):
            entry = self._seconds[second]
            if not final and not expected <= entry.reporters:
                break
            del self._seconds[second]
            after_end = total_s is not None and second > total_s
            ended = final or not expected  # every worker is done: the run's last, partial second
            if ended and after_end and not entry.samples and not entry.errors:
                continue
            self._emit(second, entry, after_end)

    def _emit(self, second: int, entry: _Second, after_end: bool) -> None:
        self._total_samples += entry.samples
        self._total_errors += entry.errors
        elapsed_s = (time.time_ns() - self.t0_epoch_ns) / 1e9
        if self.abort_check is not None and self.aborted_by is None:
            failed = self.abort_check.failed(max(1e-9, elapsed_s))
            if failed is not None:
                self.aborted_by = failed
                self.on_abort()
        if self.on_progress is None:
            return
        histogram = merge_encoded(entry.histograms, PROGRESS_DIGITS)
        pct = histogram.get_percentile_to_value_dict([50, 95, 99]) if entry.samples else {50: 0, 95: 0, 99: 0}
        labels: tuple[LabelLive, ...] = ()
        if self.live_view:
            self._slide(entry.labels)
            labels = self._busiest()
        self.on_progress(
            Progress(
                second=second,
                elapsed_s=max(0.0, elapsed_s),
                total_s=self.plan.duration_s,
                active_users=sum(self._active.values()),
                samples=entry.samples,
                errors=entry.errors,
                p50_ms=pct[50] / 1000.0,
                p95_ms=pct[95] / 1000.0,
                p99_ms=pct[99] / 1000.0,
                total_samples=self._total_samples,
                total_errors=self._total_errors,
                planned_samples=self.plan.planned_samples,
                after_end=after_end,
                waiting_at_end=entry.waiting,
                generator_cpu_percent=100.0 * entry.cpu_s,
                labels=labels,
            )
        )

    def _slide(self, second: dict[str, _LabelFigures]) -> None:
        """Add a second to the window and drop the oldest beyond it, keeping per-label sums."""
        sums = self._window_sums
        self._window.append(second)
        for label, figures in second.items():
            total = sums.setdefault(label, [0, 0])
            total[0] += figures.samples
            total[1] += figures.errors
        if len(self._window) > LIVE_WINDOW_S:
            for label, figures in self._window.popleft().items():
                total = sums[label]
                total[0] -= figures.samples
                total[1] -= figures.errors
                if total[0] <= 0 and total[1] <= 0:
                    del sums[label]

    def _busiest(self) -> tuple[LabelLive, ...]:
        """The labels with the most samples over the window, with their rate, errors and p95."""
        top = heapq.nsmallest(LIVE_LABELS, self._window_sums.items(), key=lambda item: (-item[1][0], item[0]))
        span_s = len(self._window)
        live = []
        for label, (samples, errors) in top:
            encoded = [h for second in self._window if label in second for h in second[label].histograms]
            p95_us = merge_encoded(encoded, PROGRESS_DIGITS).get_value_at_percentile(95) if samples else 0
            live.append(LabelLive(label, samples / span_s, errors, p95_us / 1000.0))
        return tuple(live)
