"""Run a Plan on local worker processes: spawn, start together, collect progress, stop, merge.

Public API (used by ``surge run``, ``surge demo`` and later ``surge tune`` and cluster mode)::

    result = run_plan(plan, Path("results.jtl"), processes=None, on_progress=callback)

``run_plan`` blocks until the run ends (duration, iterations, ``stop()`` from another thread, or
SIGINT/SIGTERM when called from the main thread), merges the part files into ``out_path`` and
returns a ``RunResult`` with the per-label summary.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType
from typing import Any

from surge.engine.histogram import PROGRESS_DIGITS, merge_encoded
from surge.engine.schedule import assign_users, effective_processes
from surge.engine.summary import LabelSummary, LabelTotals, no_response_samples, summarize, top_errors
from surge.engine.worker import WorkerResult, WorkerSpec, worker_process_main
from surge.errors import SurgeError, UsageError
from surge.plan import Plan
from surge.results.jtl_write import merge_parts
from surge.verdict.live import LiveThresholds
from surge.verdict.thresholds import ThresholdResult

START_DELAY_S = 0.05  # between "all workers ready" and t0, so every worker gets the start message in time
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Progress:
    """One second of the run, merged over all workers (what the live line shows)."""

    second: int  # 1 for the first second after t0
    elapsed_s: float
    total_s: float | None  # planned duration; None for an iterations-only run
    active_users: int
    samples: int  # in this second
    errors: int  # in this second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    total_samples: int
    total_errors: int
    planned_samples: int | None
    # The last, partial second after the planned end: requests that finished in the graceful stop,
    # and those still waiting then, recorded as failed samples (``waiting_at_end`` of them).
    after_end: bool = False
    waiting_at_end: int = 0


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the results file, its summary and how the run ended."""

    out_path: Path
    labels: tuple[LabelSummary, ...]
    total: LabelSummary
    duration_s: float  # from t0 to the end of the run
    started_epoch_ms: int
    processes: int
    rows_written: int
    worker_cpu_s: float  # user + sys CPU of the worker processes
    interrupted: bool
    top_errors: tuple[tuple[str, int], ...] = ()  # most frequent error kinds, (kind, count)
    # Open model: arrivals due, those sent later than open_model.LATE_TOLERANCE_MS after their
    # intended time or never sent (still queued at the end), and the never-sent ones alone.
    arrivals: int = 0
    late_arrivals: int = 0
    unsent_arrivals: int = 0
    max_queue_ms: int = 0  # open model: longest delay from an intended to the actual send
    aborted_by: ThresholdResult | None = None  # --abort-on-fail: the threshold that ended the run
    # Requests still waiting when the run ended (after the graceful stop, or at once on Ctrl-C),
    # recorded as failed samples: "Non HTTP response code: RunEnded".
    waiting_at_end: int = 0
    no_response: int = 0  # samples that got no HTTP response at all (refused, timed out, ...)
    planned_duration_s: float | None = None  # the plan's; duration_s is how long the run lasted
    graceful_stop_s: float = 0.0
    origins: tuple[str, ...] = ()  # host:port of the plan's requests (scripted users: none known)

    @property
    def responses(self) -> int:
        """Samples that got an HTTP response (any status)."""
        return self.total.samples - self.no_response


@dataclass
class _Second:
    samples: int = 0
    errors: int = 0
    waiting: int = 0  # samples recorded because the run ended while they were waiting
    active: dict[int, int] = field(default_factory=dict)
    histograms: list[bytes] = field(default_factory=list)
    reporters: set[int] = field(default_factory=set)


class Runner:
    """Drives one run; ``stop()`` may be called from another thread or a signal handler."""

    def __init__(
        self,
        plan: Plan,
        out_path: Path,
        processes: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.plan = plan
        self.out_path = Path(out_path)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.processes = effective_processes(processes, plan.total_users, cores)
        self.on_progress = on_progress
        self.on_notice = on_notice
        self._stop_requested = threading.Event()
        self._write_error: str | None = None  # a worker could not write its part file
        self._lost_workers: list[str] = []  # what each worker that died meanwhile left behind
        self._last_samples: dict[int, int] = {}  # per worker: samples of its last reported second
        self._shared: Any = None  # the workers' active-user counts (RawArray), once started
        self._seconds: dict[int, _Second] = {}
        self._emitted_second = 0
        self._total_samples = 0
        self._total_errors = 0
        self._active: dict[int, int] = {}
        self._done_workers: set[int] = set()
        self._t0_epoch_ns = 0
        self._live = LiveThresholds(plan.thresholds) if plan.abort_on_fail and plan.thresholds else None
        self.aborted_by: ThresholdResult | None = None

    def stop(self) -> None:
        """Ask the run to end now; recorded samples are kept and merged."""
        self._stop_requested.set()

    def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop()

    def run(self) -> RunResult:
        out_path = self.out_path
        if out_path.is_dir():
            raise UsageError(f"cannot write results to {out_path}: it is a directory")
        try:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            # Part files go in a private folder beside the results file (same file system, so one
            # process's part is renamed into place): they can never collide with a user's files.
            parts_dir = Path(
                tempfile.mkdtemp(prefix=f".{out_path.name}.", suffix=".parts", dir=out_path.parent)
            )
        except OSError as exc:
            raise UsageError(f"cannot write results to {out_path}: {exc.strerror or exc}") from exc
        slots = assign_users(self.plan, self.processes)
        parts = [parts_dir / f"part{i + 1}.jtl" for i in range(self.processes)]
        # fork: workers start in milliseconds and the caller's __main__ is not re-imported (spawn
        # would re-run scripts that call run_plan without a __main__ guard). Workers build their
        # own event loop and touch nothing they inherited but the plan and their pipe.
        methods = multiprocessing.get_all_start_methods()
        ctx: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        shared = self._shared = ctx.RawArray("q", self.processes * len(self.plan.groups))
        installed = self._install_signal_handlers()
        controls: list[Any] = []
        procs: list[Any] = []
        results: list[WorkerResult | None] = [None] * self.processes
        t0_epoch_ns = end_ns = 0
        try:
            for index in range(self.processes):
                parent_end, child_end = ctx.Pipe(duplex=True)
                spec = WorkerSpec(
                    self.plan, index, self.processes, tuple(slots[index]), parts[index], seed=index
                )
                proc = ctx.Process(
                    target=worker_process_main,
                    args=(spec, child_end, shared),
                    name=f"surge-worker-{index + 1}",
                    daemon=True,
                )
                proc.start()
                child_end.close()
                controls.append(parent_end)
                procs.append(proc)
            results, t0_epoch_ns, end_ns = self._drive(controls, procs)
        finally:
            for control in controls:
                _send(control, ("stop",))  # no-op after a normal end; after an error, stop the load
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            for control in controls:
                control.close()
            # Handlers stay until the merge is done: a second Ctrl-C must not cut the file short.
            try:
                rows = self._merge(parts, parts_dir, out_path)
            finally:
                self._restore_signal_handlers(installed)
        finished = [r for r in results if r is not None]
        rows_lost = sum(r.rows_lost for r in finished)
        if self._write_error is not None:
            lost = f"; {rows_lost} samples recorded after that could not be written" if rows_lost else ""
            raise SurgeError(
                f"could not write the results ({self._write_error}): the run stopped after "
                f"{max(0.0, (end_ns - t0_epoch_ns) / 1e9):.1f} s; {rows} samples are in {out_path}{lost}"
            )
        dead = [p for p, r in zip(procs, results, strict=True) if r is None]
        if dead and not self._stop_requested.is_set():
            codes = ", ".join(f"{p.name} {_exit_text(p.exitcode)}" for p in dead)
            raise SurgeError(
                f"worker process died ({codes}): the samples it recorded in its last second are missing; "
                f"the {rows} samples recorded until then are in {out_path}"
            )
        duration_s = max(1e-9, (end_ns - t0_epoch_ns) / 1e9) if t0_epoch_ns else 0.0
        totals: list[LabelTotals] = [t for r in finished for t in r.label_totals]
        labels, total = summarize(totals, duration_s)
        return RunResult(
            out_path=out_path,
            labels=labels,
            total=total,
            duration_s=duration_s,
            started_epoch_ms=t0_epoch_ns // 1_000_000,
            processes=self.processes,
            rows_written=sum(r.rows_written for r in finished) if finished else rows,
            worker_cpu_s=sum(r.cpu_s for r in finished),
            interrupted=self.aborted_by is None
            and (self._stop_requested.is_set() or any(r.interrupted for r in finished)),
            top_errors=top_errors(totals),
            arrivals=sum(r.arrivals for r in finished),
            late_arrivals=sum(r.late_arrivals for r in finished),
            unsent_arrivals=sum(r.unsent_arrivals for r in finished),
            max_queue_ms=max((r.max_queue_ms for r in finished), default=0),
            aborted_by=self.aborted_by,
            waiting_at_end=sum(r.waiting_at_end for r in finished),
            no_response=no_response_samples(totals),
            planned_duration_s=self.plan.duration_s,
            graceful_stop_s=self.plan.graceful_stop_s,
            origins=_origins(self.plan),
        )

    def _merge(self, parts: list[Path], parts_dir: Path, out_path: Path) -> int:
        """Merge the part files into ``out_path`` and remove their folder; on failure, name them."""
        try:
            rows = merge_parts(parts, out_path)
        except OSError as exc:
            kept = [str(p) for p in parts if p.exists()]
            with contextlib.suppress(OSError):
                if out_path.exists() and kept:
                    out_path.unlink()  # a partial merge: the part files hold every row
            raise SurgeError(
                f"could not write the results to {out_path} ({exc.strerror or exc}); "
                f"the samples are in {', '.join(kept) or 'no file'}"
            ) from exc
        shutil.rmtree(parts_dir, ignore_errors=True)
        return rows

    # -- internals ---------------------------------------------------------------------------------

    def _drive(self, controls: list[Any], procs: list[Any]) -> tuple[list[WorkerResult | None], int, int]:
        n = len(controls)
        results: list[WorkerResult | None] = [None] * n
        open_ends: dict[Any, int] = {c: i for i, c in enumerate(controls)}
        ready = 0
        deadline = time.monotonic() + READY_TIMEOUT_S
        while ready < n:
            if self._stop_requested.is_set() or time.monotonic() > deadline:
                for control in list(open_ends):
                    _send(control, ("stop",))
                break
            for control in wait(list(open_ends), timeout=0.1):
                message = _recv(control)
                if message is None:
                    open_ends.pop(control)
                    deadline = 0.0
                elif message[0] == "ready":
                    ready += 1
                elif message[0] == "write_failed":
                    self._write_failed(message[2])
        if ready < n:
            self._collect(open_ends, results)
            if not self._stop_requested.is_set() and self._write_error is None:
                raise SurgeError("worker processes did not start")
            return results, 0, time.time_ns()
        t0_epoch_ns = time.time_ns() + int(START_DELAY_S * 1e9)
        for control in controls:
            _send(control, ("start", t0_epoch_ns))
        self._t0_epoch_ns = t0_epoch_ns
        stop_sent = False
        while open_ends:
            if self._stop_requested.is_set() and not stop_sent:
                for control in open_ends:
                    _send(control, ("stop",))
                stop_sent = True
            for control in wait(list(open_ends), timeout=0.1):
                index = open_ends[control]
                message = _recv(control)
                if message is None:  # the worker died; its part file keeps what it flushed
                    open_ends.pop(control)
                    self._done_workers.add(index)
                    self._worker_lost(procs[index], index, len(open_ends))
                    continue
                self._handle(message, index, results)
                if message[0] == "done":
                    open_ends.pop(control)
            for control, index in list(open_ends.items()):
                if not procs[index].is_alive() and not control.poll():
                    open_ends.pop(control)
                    self._done_workers.add(index)
                    self._worker_lost(procs[index], index, len(open_ends))
        end_ns = time.time_ns()
        self._flush_progress(final=True)
        return results, t0_epoch_ns, end_ns

    def _worker_lost(self, proc: Any, index: int, still_running: int) -> None:
        """A worker died (killed, crashed): say so now, with what its part file may miss."""
        if self._stop_requested.is_set() and self._write_error is not None:
            return
        proc.join(timeout=1)
        self._active[index] = 0
        if self._shared is not None:  # its users are gone: other workers' grpThreads/allThreads too
            groups = len(self.plan.groups)
            for g in range(groups):
                self._shared[index * groups + g] = 0
        recent = self._last_samples.get(index, 0)
        text = (
            f"worker process {proc.name} (pid {proc.pid}) {_exit_text(proc.exitcode)}: up to a second "
            f"of its samples (about {recent}, its last second's count) and its requests in flight are "
            f"missing from the results; {still_running} of {self.processes} processes go on"
        )
        self._lost_workers.append(text)
        if self.on_notice is not None:
            self.on_notice(text)

    def _write_failed(self, reason: str) -> None:
        """A worker could not write its part file: stop the run (once), and say so now."""
        if self._write_error is not None:
            return
        self._write_error = reason
        self.stop()
        if self.on_notice is not None:
            self.on_notice(f"could not write the results ({reason}): stopping the run")

    def _collect(self, open_ends: dict[Any, int], results: list[WorkerResult | None]) -> None:
        limit = time.monotonic() + 10
        while open_ends and time.monotonic() < limit:
            for control in wait(list(open_ends), timeout=0.1):
                message = _recv(control)
                if message is None or message[0] == "done":
                    index = open_ends.pop(control)
                    if message is not None:
                        results[index] = message[1]

    def _handle(self, message: tuple[Any, ...], index: int, results: list[WorkerResult | None]) -> None:
        kind = message[0]
        if kind == "tick":
            _, worker_index, second, samples, errors, active, histogram, by_label, waiting = message
            if self._live is not None and by_label is not None:
                for label, n, e, max_us, label_histogram in by_label:
                    self._live.add(label, n, e, max_us, label_histogram)
            entry = self._seconds.setdefault(second, _Second())
            entry.samples += samples
            entry.errors += errors
            entry.waiting += waiting
            entry.active[worker_index] = active
            entry.histograms.append(histogram)
            entry.reporters.add(worker_index)
            self._active[worker_index] = active
            self._last_samples[worker_index] = samples
            self._flush_progress(final=False)
        elif kind == "write_failed":
            self._write_failed(message[2])
        elif kind == "done":
            results[index] = message[1]
            self._active[index] = 0
            self._done_workers.add(index)
            self._flush_progress(final=False)

    def _flush_progress(self, final: bool) -> None:
        """Emit every second that all still-running workers have reported (all of them when final).

        Seconds after the planned end are marked as such (requests finishing in the graceful
        stop); the run's last, partial second is not shown when nothing completed in it.
        """
        expected = set(range(self.processes)) - self._done_workers
        seconds = sorted(self._seconds)
        for second in seconds:
            entry = self._seconds[second]
            if not final and not expected <= entry.reporters:
                break
            del self._seconds[second]
            total_s = self.plan.duration_s
            after_end = total_s is not None and second > total_s
            ended = final or not expected  # every worker is done: this is the run's last, partial second
            if ended and after_end and not entry.samples and not entry.errors:
                continue
            self._emit(second, entry, after_end=after_end)

    def _emit(self, second: int, entry: _Second, *, after_end: bool = False) -> None:
        self._total_samples += entry.samples
        self._total_errors += entry.errors
        if self._live is not None and self.aborted_by is None:
            failed = self._live.failed(max(1e-9, (time.time_ns() - self._t0_epoch_ns) / 1e9))
            if failed is not None:
                self.aborted_by = failed
                self.stop()
        if self.on_progress is None:
            return
        histogram = merge_encoded(entry.histograms, PROGRESS_DIGITS)
        pct = histogram.get_percentile_to_value_dict([50, 95, 99]) if entry.samples else {50: 0, 95: 0, 99: 0}
        elapsed_s = (time.time_ns() - self._t0_epoch_ns) / 1e9
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
            )
        )

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._handle_signal)
        # A file-size limit (ulimit -f) then fails the merge's write with EFBIG, which is
        # reported, instead of killing the process.
        previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _exit_text(exitcode: int | None) -> str:
    """``was killed by SIGKILL`` / ``exited with code 1`` (negative exit codes are signals)."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with code {exitcode}"


def _origins(plan: Plan) -> tuple[str, ...]:
    """``host:port`` of every request the plan names, in order, once each."""
    seen: dict[str, None] = {}
    for group in plan.groups:
        for request in group.requests:
            host = request.host if ":" not in request.host else f"[{request.host}]"
            seen[f"{host}:{request.port}"] = None
    return tuple(seen)


def _send(control: Any, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        control.send(message)


def _recv(control: Any) -> tuple[Any, ...] | None:
    try:
        message: tuple[Any, ...] = control.recv()
    except (EOFError, OSError):
        return None
    return message


def run_plan(
    plan: Plan,
    out_path: Path,
    *,
    processes: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``plan`` on local worker processes (default: one per core) and write ``out_path``.

    Blocks until the run ends. In the main thread, SIGINT and SIGTERM end the run early and the
    file keeps everything recorded until then (``RunResult.interrupted`` is True).
    ``on_notice`` receives a line of text at once when something goes wrong during the run (a
    worker process died, the results cannot be written).
    """
    return Runner(plan, out_path, processes, on_progress, on_notice).run()
