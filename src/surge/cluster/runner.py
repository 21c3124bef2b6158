"""Run a Plan on a Dask cluster: split it over the workers, start them at one moment, collect.

The split is the local runner's (``surge.engine.schedule``): users round-robin, arrivals ``i, i+P,
...``, over the cluster's worker slots (one per thread of each Dask worker, so one per process
with ``dask worker --nthreads 1``), every arrival sent exactly once. Each slot runs the engine's
own ``Worker`` (``surge.cluster.node``). Their clocks are measured against this machine's before
the start (``surge.cluster.clock``), so every row is timed on one clock. Ticks and rows come back
every second through a Dask queue: the live line, live thresholds and ``--abort-on-fail`` work as
on one machine, and the rows are written to part files here and merged as a local run's are.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from surge import __version__
from surge.cluster.clock import measure_offsets
from surge.cluster.node import NodeSpec, RunNames, run_node
from surge.engine.collect import (
    build_result,
    install_stop_handlers,
    merge_into,
    prepare_parts,
    restore_handlers,
)
from surge.engine.messages import Done, Ready, Rows, Tick, WorkerMessage, WorkerResult, WriteFailed
from surge.engine.progress import ProgressBoard
from surge.engine.run_result import AbortCheck, LabelSink, LostWorker, Progress, RunResult
from surge.engine.schedule import assign_users, effective_processes
from surge.engine.worker import WorkerSpec
from surge.errors import SurgeError, UsageError
from surge.plan import Plan
from surge.results.columns import DEFAULT_HEADER
from surge.results.jtl_write import QUEUE_HEADER

# Between "every worker is ready" and t0: long enough for the start time to reach every machine.
START_DELAY_S = 0.5
READY_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 10.0
# A worker the scheduler no longer lists is lost; checked this often.
MEMBERSHIP_CHECK_S = 1.0
# Dask settings of the workers surge starts (local:N): Dask's statistical profiler samples every
# thread's stack every 10 ms, and its monitors poll every 20 ms and 500 ms; on a worker whose event
# loop is busy sending requests those are a cost per request, for figures nobody reads here.
# docs/cluster.md gives the same settings for workers started by hand.
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


@dataclass(frozen=True)
class Slot:
    """One place a surge worker runs: a thread of a Dask worker."""

    address: str
    name: str  # the threadName prefix of its rows: the Dask worker's name, as JMeter's host prefix


def parse_cluster(text: str) -> tuple[str, int]:
    """``local:N`` -> ("local", N); ``tcp://host:8786`` / ``tls://...`` -> (address, 0)."""
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"invalid --cluster {text!r} (local:N with N >= 1, e.g. local:2)")
        return "local", int(count)
    if "://" not in text:
        text = f"tcp://{text}"
    if not text.startswith(("tcp://", "tls://")):
        raise UsageError(
            f"invalid --cluster {text!r} (a scheduler address tcp://HOST:PORT or tls://..., or local:N)"
        )
    return text, 0


@contextlib.contextmanager
def connect(cluster: str) -> Iterator[Any]:
    """A Dask client of the scheduler at ``cluster`` (or of a new LocalCluster); closed at the end."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("cluster mode needs Dask: pip install -e '.[cluster]' (dask[distributed])") from exc
    address, workers = parse_cluster(cluster)
    local: Any = None
    try:
        if address == "local":
            # Worker processes start with SIGINT ignored (Python keeps an ignored SIGINT): Ctrl-C
            # reaches every process of the terminal's group, and only this one decides what it means.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if _main_thread() else None
            try:
                with dask.config.set(QUIET_WORKERS):
                    local = LocalCluster(
                        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                    )
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            client = Client(local)
        else:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError) as exc:
        raise SurgeError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from exc
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if local is not None:
            with contextlib.suppress(Exception):
                local.close()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _versions() -> tuple[str, str]:
    import platform

    import surge

    return surge.__version__, platform.python_version()


def check_versions(client: Any) -> None:
    """Every worker runs this surge (and Python) version, or one line names both."""
    import platform

    mine = (__version__, platform.python_version())
    for address, theirs in sorted(client.run(_versions).items()):
        if tuple(theirs) != mine:
            raise SurgeError(
                f"version mismatch: this machine runs surge {mine[0]} on Python {mine[1]}, the worker at "
                f"{address} surge {theirs[0]} on Python {theirs[1]}; install the same version everywhere"
            )


def cluster_slots(client: Any) -> list[Slot]:
    """One slot per thread of every worker, workers in address order."""
    info = client.scheduler_info()["workers"]
    slots: list[Slot] = []
    for address in sorted(info):
        worker = info[address]
        name = str(worker.get("name", address))
        host = address.split("://", 1)[-1]
        label = host if name.isdigit() or not name else name
        for _ in range(int(worker.get("nthreads", 1))):
            slots.append(Slot(address, label))
    if not slots:
        raise SurgeError("the Dask cluster has no workers")
    return slots


def portable(plan: Plan) -> Plan:
    """The plan as it travels: behaviours that read local files carry them (Python users' modules)."""
    groups = []
    for group in plan.groups:
        make_portable: Callable[[], object] | None = getattr(group.behaviour, "portable", None)
        groups.append(replace(group, behaviour=make_portable()) if make_portable is not None else group)
    return replace(plan, groups=tuple(groups))


class ClusterRunner:
    """Drives one cluster run; ``stop()`` may be called from a signal handler."""

    def __init__(
        self,
        plan: Plan,
        out_path: Path,
        cluster: str,
        processes: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        abort_check: AbortCheck | None = None,
        label_sinks: Sequence[LabelSink] = (),
        live_view: bool = False,
    ) -> None:
        self.plan = plan
        self.label_sinks = tuple(label_sinks)
        self.live_view = live_view
        self.out_path = Path(out_path)
        self.cluster = cluster
        self.requested = processes
        self.on_progress = on_progress
        self.on_notice = on_notice
        self.abort_check = abort_check
        self._stop_requested = threading.Event()
        self.names = RunNames(uuid.uuid4().hex[:12])

    def stop(self) -> None:
        self._stop_requested.set()

    def run(self) -> RunResult:
        parse_cluster(self.cluster)  # bad input before anything starts
        plan = portable(self.plan)
        with connect(self.cluster) as client:
            try:
                check_versions(client)
                slots = cluster_slots(client)
                offsets = measure_offsets(client, sorted({s.address for s in slots}))
            except SurgeError:
                raise
            except Exception as exc:  # Dask's and the workers' failures, translated once, here
                raise SurgeError(
                    f"the Dask cluster at {self.cluster} failed: {type(exc).__name__}: {exc}"
                ) from exc
            if self.requested is not None and self.requested > len(slots):
                raise UsageError(
                    f"-p {self.requested}: the cluster has {len(slots)} worker threads, one surge worker each"
                )
            processes = effective_processes(self.requested, plan.total_users, len(slots))
            return self._run(client, plan, slots[:processes], offsets)

    def _run(self, client: Any, plan: Plan, slots: list[Slot], offsets: dict[str, int]) -> RunResult:
        from distributed import Event, Queue, Variable

        processes = len(slots)
        out_path = self.out_path
        parts_dir, parts = prepare_parts(out_path, processes)
        header = (QUEUE_HEADER if plan.is_open else DEFAULT_HEADER) + "\n"
        files = [open(part, "w", encoding="utf-8", newline="") for part in parts]  # noqa: SIM115
        for file in files:
            file.write(header)
        messages = Queue(self.names.messages, client=client)
        start = Variable(self.names.start, client=client)
        stop_event = Event(self.names.stop, client=client)
        board = ProgressBoard(
            plan, processes, self.on_progress, self.abort_check, self.stop, self.label_sinks, self.live_view
        )
        state = _State(processes)
        users = assign_users(plan, processes)
        futures = []
        installed = install_stop_handlers(self.stop)
        t0_epoch_ns = end_ns = 0
        try:
            for index, slot in enumerate(slots):
                spec = WorkerSpec(
                    plan, index, processes, tuple(users[index]), None, seed=index,
                    clock_offset_ns=offsets[slot.address], thread_prefix=f"{slot.name}-",
                    live_labels=self.live_view or bool(board.label_sinks),
                )  # fmt: skip
                futures.append(
                    client.submit(
                        run_node,
                        NodeSpec(spec, self.names),
                        workers=[slot.address],
                        allow_other_workers=False,
                        pure=False,
                        retries=0,
                        key=f"surge-{self.names.run_id}-{index}",
                    )
                )
            handle = _Handler(board, state, files, self.on_notice, self.stop)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while state.ready < processes and not self._stop_requested.is_set():
                if time.monotonic() > deadline:
                    raise SurgeError(f"the cluster's workers did not get ready within {READY_TIMEOUT_S:g} s")
                self._failed_tasks(futures, state, slots, board)
                for message in _drain(messages, 0.2):
                    handle(message)
            if self._stop_requested.is_set():
                start.set(-1)
            else:
                t0_epoch_ns = time.time_ns() + int(START_DELAY_S * 1e9)
                board.t0_epoch_ns = t0_epoch_ns
                start.set(t0_epoch_ns)
                self._collect(client, messages, stop_event, futures, slots, state, handle, board)
            end_ns = time.time_ns()
        finally:
            stop_event.set()
            for _ in range(20):  # what is still on its way (Done messages of a stopped run)
                if all(state.done[i] or state.lost[i] for i in range(processes)):
                    break
                for message in _drain(messages, 0.25):
                    with contextlib.suppress(Exception):
                        _Handler(board, state, files, None, self.stop)(message)
            for future in futures:
                with contextlib.suppress(Exception):
                    future.cancel()
            for file in files:
                file.close()
            try:
                rows = merge_into(parts, parts_dir, out_path)
            finally:
                restore_handlers(installed)
        board.flush(final=True)
        finished = [r for r in state.results if r is not None]
        if state.write_error is not None:
            raise SurgeError(
                f"could not write the results ({state.write_error}); {rows} samples are in {out_path}"
            )
        return build_result(
            plan,
            out_path,
            finished,
            processes=processes,
            t0_epoch_ns=t0_epoch_ns,
            end_ns=end_ns,
            rows=rows,
            aborted_by=board.aborted_by,
            stopped=self._stop_requested.is_set() and state.write_error is None,
            lost_workers=tuple(state.lost_workers),
        )

    def _collect(
        self,
        client: Any,
        messages: Any,
        stop_event: Any,
        futures: list[Any],
        slots: list[Slot],
        state: _State,
        handle: _Handler,
        board: ProgressBoard,
    ) -> None:
        """Serve the workers' messages until every one is done or lost; stop them when asked."""
        stop_sent = False
        next_check = time.monotonic() + MEMBERSHIP_CHECK_S
        while not all(state.done[i] or state.lost[i] for i in range(len(slots))):
            if self._stop_requested.is_set() and not stop_sent:
                stop_event.set()
                stop_sent = True
            for message in _drain(messages, 0.1):
                handle(message)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + MEMBERSHIP_CHECK_S
                self._lost_workers(client, slots, state, board)
                self._failed_tasks(futures, state, slots, board)

    def _lost_workers(self, client: Any, slots: list[Slot], state: _State, board: ProgressBoard) -> None:
        """Workers the scheduler no longer lists (killed, machine gone): the run goes on without them."""
        try:
            present = set(client.scheduler_info()["workers"])
        except Exception:  # the scheduler itself is gone: every worker with it
            present = set()
        for index, slot in enumerate(slots):
            if slot.address not in present and not state.done[index] and not state.lost[index]:
                self._lose(index, slot, state, board, "left the cluster")

    def _failed_tasks(
        self, futures: list[Any], state: _State, slots: list[Slot], board: ProgressBoard
    ) -> None:
        for index, future in enumerate(futures):
            if future.status == "error" and not state.done[index] and not state.lost[index]:
                error = future.exception()
                self._lose(index, slots[index], state, board, f"failed ({type(error).__name__}: {error})")

    def _lose(self, index: int, slot: Slot, state: _State, board: ProgressBoard, how: str) -> None:
        state.lost[index] = True
        board.worker_gone(index)
        elapsed = (time.time_ns() - board.t0_epoch_ns) / 1e9 if board.t0_epoch_ns else 0.0
        lost = LostWorker(
            f"cluster worker {index + 1} ({slot.address})", how, max(0.0, elapsed), state.delivered[index]
        )
        state.lost_workers.append(lost)
        if self.on_notice is not None:
            self.on_notice(f"{lost.describe()}; the run goes on without it")


class _State:
    def __init__(self, processes: int) -> None:
        self.ready = 0
        self.done = [False] * processes
        self.lost = [False] * processes
        self.results: list[WorkerResult | None] = [None] * processes
        self.delivered = [0] * processes
        self.lost_workers: list[LostWorker] = []
        self.write_error: str | None = None


class _Handler:
    """The client's ``handle_<kind>``: one method per message kind, as the local runner's."""

    def __init__(
        self,
        board: ProgressBoard,
        state: _State,
        files: list[Any],
        on_notice: Callable[[str], None] | None,
        stop: Callable[[], None],
    ) -> None:
        self.board = board
        self.state = state
        self.files = files
        self.on_notice = on_notice
        self.stop = stop

    def __call__(self, message: WorkerMessage) -> None:
        if isinstance(message, Tick):
            self.handle_tick(message)
        elif isinstance(message, Rows):
            self.handle_rows(message)
        elif isinstance(message, Done):
            self.handle_done(message)
        elif isinstance(message, Ready):
            self.handle_ready(message)
        elif isinstance(message, WriteFailed):
            self.handle_write_failed(message)

    def handle_ready(self, message: Ready) -> None:
        self.state.ready += 1

    def handle_tick(self, message: Tick) -> None:
        if not self.state.lost[message.worker_index]:
            self.board.tick(message)

    def handle_rows(self, message: Rows) -> None:
        index = message.worker_index
        if self.state.lost[index] or self.state.write_error is not None:
            return  # a lost worker's late rows: it was reported lost with what it had delivered
        try:
            self.files[index].write(message.data.decode())
            self.files[index].flush()
        except OSError as exc:
            self.handle_write_failed(WriteFailed(index, f"{exc.strerror or exc}"))
            return
        self.state.delivered[index] += message.count

    def handle_done(self, message: Done) -> None:
        index = message.worker_index
        if self.state.done[index] or self.state.lost[index]:
            return
        self.state.done[index] = True
        self.state.results[index] = message.result
        self.board.worker_gone(index)

    def handle_write_failed(self, message: WriteFailed) -> None:
        if self.state.write_error is not None:
            return
        self.state.write_error = message.reason
        self.stop()
        if self.on_notice is not None:
            self.on_notice(f"could not write the results ({message.reason}): stopping the run")


def _drain(messages: Any, timeout_s: float) -> list[WorkerMessage]:
    """What is on the queue now; if nothing, what arrived after waiting ``timeout_s``.

    Only non-blocking reads (``batch=True``): a read that times out on the scheduler logs an
    error with a traceback there, once per poll.
    """
    items: list[WorkerMessage] = messages.get(batch=True)
    if not items:
        time.sleep(timeout_s)
        items = messages.get(batch=True)
    return items


def run_cluster_plan(
    plan: Plan,
    out_path: Path,
    cluster: str,
    *,
    processes: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    abort_check: AbortCheck | None = None,
    label_sinks: Sequence[LabelSink] = (),
    live_view: bool = False,
) -> RunResult:
    """Run ``plan`` on the Dask cluster ``cluster`` (a scheduler address, or ``local:N``).

    ``processes``: how many surge workers in all (default: one per worker thread of the cluster).
    Otherwise as ``surge.engine.runner.run_plan``.
    """
    runner = ClusterRunner(
        plan, out_path, cluster, processes, on_progress, on_notice, abort_check, label_sinks, live_view
    )
    return runner.run()


__all__ = ["ClusterRunner", "parse_cluster", "run_cluster_plan"]
