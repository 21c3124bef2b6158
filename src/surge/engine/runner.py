"""Run a Plan on local worker processes: spawn, start together, collect progress, stop, merge.

Public API (used by ``surge run`` and ``surge demo``)::

    result = run_plan(plan, Path("results.jtl"), processes=None, on_progress=callback)

``run_plan`` blocks until the run ends (duration, iterations, ``stop()`` from another thread, or
SIGINT/SIGTERM when called from the main thread), merges the part files into ``out_path`` and
returns a ``RunResult`` with the per-label summary. Workers talk to the runner in the typed
messages of ``surge.engine.messages``; each kind has its ``handle_<kind>`` method here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from surge.engine.collect import (
    build_result,
    exit_text,
    install_stop_handlers,
    merge_into,
    prepare_parts,
    restore_handlers,
    write_failure,
)
from surge.engine.messages import Done, Ready, Start, Stop, Tick, WorkerMessage, WorkerResult, WriteFailed
from surge.engine.progress import ProgressBoard
from surge.engine.run_result import AbortCheck, AbortReason, LabelSink, Progress, RunResult
from surge.engine.schedule import assign_users, effective_processes
from surge.engine.worker import WorkerSpec
from surge.engine.worker_process import worker_process_main
from surge.errors import SurgeError
from surge.plan import Plan

__all__ = ["Progress", "RunResult", "Runner", "run_plan"]

START_DELAY_S = 0.05  # between "all workers ready" and t0, so every worker gets the start message in time
READY_TIMEOUT_S = 60.0


class Runner:
    """Drives one run; ``stop()`` may be called from another thread or a signal handler."""

    def __init__(
        self,
        plan: Plan,
        out_path: Path,
        processes: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        abort_check: AbortCheck | None = None,
        label_sinks: Sequence[LabelSink] = (),
        live_view: bool = False,
    ) -> None:
        self.plan = plan
        self.live_view = live_view
        self.out_path = Path(out_path)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.processes = effective_processes(processes, plan.total_users, cores)
        self.on_notice = on_notice
        self.board = ProgressBoard(
            plan,
            self.processes,
            on_progress,
            abort_check,
            self.stop,
            label_sinks=label_sinks,
            live_view=live_view,
        )
        self._stop_requested = threading.Event()
        self._write_error: str | None = None  # a worker could not write its part file
        self._shared: Any = None  # the workers' active-user counts (RawArray), once started
        self._results: list[WorkerResult | None] = [None] * self.processes
        self._ready = 0
        self._procs: list[Any] = []

    @property
    def aborted_by(self) -> AbortReason | None:
        return self.board.aborted_by

    def stop(self) -> None:
        """Ask the run to end now; recorded samples are kept and merged."""
        self._stop_requested.set()

    def run(self) -> RunResult:
        out_path = self.out_path
        parts_dir, parts = prepare_parts(out_path, self.processes)
        slots = assign_users(self.plan, self.processes)
        # fork: workers start in milliseconds and the caller's __main__ is not re-imported (spawn
        # would re-run scripts that call run_plan without a __main__ guard). Workers build their
        # own event loop and touch nothing they inherited but the plan and their pipe.
        methods = multiprocessing.get_all_start_methods()
        ctx: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        shared = self._shared = ctx.RawArray("q", self.processes * len(self.plan.groups))
        installed = self._install_signal_handlers()
        controls: list[Any] = []
        procs = self._procs
        t0_epoch_ns = end_ns = 0
        try:
            for index in range(self.processes):
                parent_end, child_end = ctx.Pipe(duplex=True)
                spec = WorkerSpec(
                    self.plan,
                    index,
                    self.processes,
                    tuple(slots[index]),
                    parts[index],
                    seed=index,
                    live_labels=self.live_view or bool(self.board.label_sinks),
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
            t0_epoch_ns, end_ns = self._drive(controls)
        finally:
            for control in controls:
                _send(control, Stop())  # no-op after a normal end; after an error, stop the load
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            for control in controls:
                control.close()
            # Handlers stay until the merge is done: a second Ctrl-C must not cut the file short.
            try:
                rows = merge_into(parts, parts_dir, out_path)
            finally:
                self._restore_signal_handlers(installed)
        results = self._results
        finished = [r for r in results if r is not None]
        if self._write_error is not None:
            raise write_failure(self._write_error, finished, rows, out_path, (end_ns - t0_epoch_ns) / 1e9)
        dead = [p for p, r in zip(procs, results, strict=True) if r is None]
        if dead and not self._stop_requested.is_set():
            codes = ", ".join(f"{p.name} {exit_text(p.exitcode)}" for p in dead)
            raise SurgeError(
                f"worker process died ({codes}): the samples it recorded in its last second are missing; "
                f"the {rows} samples recorded until then are in {out_path}"
            )
        return build_result(
            self.plan,
            out_path,
            finished,
            processes=self.processes,
            t0_epoch_ns=t0_epoch_ns,
            end_ns=end_ns,
            rows=rows,
            aborted_by=self.aborted_by,
            stopped=self._stop_requested.is_set(),
        )

    # -- internals ---------------------------------------------------------------------------------

    def _drive(self, controls: list[Any]) -> tuple[int, int]:
        """Wait for every worker's ``Ready``, start them together, then serve their messages.

        Returns (t0, end) in epoch ns; t0 is 0 when the run never started.
        """
        open_ends: dict[Any, int] = {c: i for i, c in enumerate(controls)}
        deadline = time.monotonic() + READY_TIMEOUT_S
        while self._ready < len(controls):
            if self._stop_requested.is_set() or time.monotonic() > deadline:
                for control in list(open_ends):
                    _send(control, Stop())
                break
            for control in wait(list(open_ends), timeout=0.1):
                message = _recv(control)
                if message is None:
                    open_ends.pop(control)
                    deadline = 0.0
                else:
                    self._dispatch(message, open_ends[control])
        if self._ready < len(controls):
            self._collect(open_ends)
            if not self._stop_requested.is_set() and self._write_error is None:
                raise SurgeError("worker processes did not start")
            return 0, time.time_ns()
        t0_epoch_ns = time.time_ns() + int(START_DELAY_S * 1e9)
        for control in controls:
            _send(control, Start(t0_epoch_ns))
        self.board.t0_epoch_ns = t0_epoch_ns
        stop_sent = False
        while open_ends:
            if self._stop_requested.is_set() and not stop_sent:
                for control in open_ends:
                    _send(control, Stop())
                stop_sent = True
            for control in wait(list(open_ends), timeout=0.1):
                index = open_ends[control]
                message = _recv(control)
                if message is None:  # the worker died; its part file keeps what it flushed
                    open_ends.pop(control)
                    self._worker_lost(index, len(open_ends))
                    continue
                self._dispatch(message, index)
                if isinstance(message, Done):
                    open_ends.pop(control)
            for control, index in list(open_ends.items()):
                if not self._procs[index].is_alive() and not control.poll():
                    open_ends.pop(control)
                    self._worker_lost(index, len(open_ends))
        end_ns = time.time_ns()
        self.board.flush(final=True)
        return t0_epoch_ns, end_ns

    def _dispatch(self, message: WorkerMessage, index: int) -> None:
        """Hand a worker's message to its ``handle_<kind>`` method."""
        if isinstance(message, Tick):
            self.handle_tick(message, index)
        elif isinstance(message, Done):
            self.handle_done(message, index)
        elif isinstance(message, Ready):
            self.handle_ready(message, index)
        elif isinstance(message, WriteFailed):
            self.handle_write_failed(message, index)
        else:
            raise TypeError(f"unknown message from worker {index + 1}: {message!r}")

    def handle_ready(self, message: Ready, index: int) -> None:
        self._ready += 1

    def handle_tick(self, message: Tick, index: int) -> None:
        self.board.tick(message)

    def handle_done(self, message: Done, index: int) -> None:
        self._results[index] = message.result
        self.board.worker_gone(index)

    def handle_write_failed(self, message: WriteFailed, index: int) -> None:
        """A worker could not write its part file: stop the run (once), and say so now."""
        if self._write_error is not None:
            return
        self._write_error = message.reason
        self.stop()
        if self.on_notice is not None:
            self.on_notice(f"could not write the results ({message.reason}): stopping the run")

    def _worker_lost(self, index: int, still_running: int) -> None:
        """A worker died (killed, crashed): say so now, with what its part file may miss."""
        self.board.worker_gone(index)
        if self._stop_requested.is_set() and self._write_error is not None:
            return
        proc = self._procs[index]
        proc.join(timeout=1)
        if self._shared is not None:  # its users are gone: other workers' grpThreads/allThreads too
            groups = len(self.plan.groups)
            for g in range(groups):
                self._shared[index * groups + g] = 0
        recent = self.board.last_samples.get(index, 0)
        text = (
            f"worker process {proc.name} (pid {proc.pid}) {exit_text(proc.exitcode)}: up to a second "
            f"of its samples (about {recent}, its last second's count) and its requests in flight are "
            f"missing from the results; {still_running} of {self.processes} processes go on"
        )
        if self.on_notice is not None:
            self.on_notice(text)

    def _collect(self, open_ends: dict[Any, int]) -> None:
        """After a failed start: wait a little for the workers' ``Done``."""
        limit = time.monotonic() + 10
        while open_ends and time.monotonic() < limit:
            for control in wait(list(open_ends), timeout=0.1):
                message = _recv(control)
                index = open_ends[control]
                if message is None or isinstance(message, Done):
                    open_ends.pop(control)
                if message is not None:
                    self._dispatch(message, index)

    def _install_signal_handlers(self) -> dict[int, Any]:
        return install_stop_handlers(self.stop)

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        restore_handlers(previous)


def _send(control: Any, message: Start | Stop) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        control.send(message)


def _recv(control: Any) -> WorkerMessage | None:
    try:
        message: WorkerMessage = control.recv()
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
    abort_check: AbortCheck | None = None,
    label_sinks: Sequence[LabelSink] = (),
    live_view: bool = False,
) -> RunResult:
    """Run ``plan`` on local worker processes (default: one per core) and write ``out_path``.

    Blocks until the run ends. In the main thread, SIGINT and SIGTERM end the run early and the
    file keeps everything recorded until then (``RunResult.interrupted`` is True).
    ``on_notice`` receives a line of text at once when something goes wrong during the run (a
    worker process died, the results cannot be written). ``abort_check`` (``--abort-on-fail``:
    ``surge.verdict.live.LiveThresholds``) is told each second's figures and may end the run;
    ``label_sinks`` are told them too. ``live_view``: each ``Progress`` carries the busiest labels.
    """
    return Runner(
        plan, out_path, processes, on_progress, on_notice, abort_check, label_sinks, live_view
    ).run()
