"""A worker in a process or thread of its own: its event loop, its limits, and the runner's protocol.

``worker_process_main`` is what the local runner starts in each worker process;
``run_worker_in_loop`` runs one worker in the calling thread (tests; cluster mode builds its own
around ``Worker`` in ``surge.cluster.node``).
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
from collections.abc import Callable, Sequence
from typing import Any

from surge.engine.messages import Done, Ready, Start, Stop, WorkerMessage, WorkerResult, WriteFailed
from surge.engine.worker import Worker, WorkerSpec


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed (several times less overhead per I/O event), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def raise_open_files_limit(wanted: int) -> None:
    """Raise the soft RLIMIT_NOFILE towards the hard limit so thousands of users can connect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def run_worker_in_loop(
    spec: WorkerSpec, t0_epoch_ns: int, report: Callable[[WorkerMessage], None], shared_counts: Any = None
) -> WorkerResult:
    """Run one worker to completion on a fresh event loop in this thread (tests, Dask tasks)."""
    loop = new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        worker = Worker(spec, report, shared_counts)
        return loop.run_until_complete(worker.run(t0_epoch_ns))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def worker_process_main(spec: WorkerSpec, control: Any, shared_counts: Sequence[int] | None) -> None:
    """Entry point of a worker process started by the runner; ``control`` is its end of a Pipe.

    Messages (``surge.engine.messages``): send ``Ready``; receive ``Start`` or ``Stop``; send a
    ``Tick`` each second (``WriteFailed`` if the part file cannot be written); receive ``Stop`` at
    any time (EOF counts as stop); finally send ``Done``.
    """
    # Ctrl-C reaches every process of the terminal's group: the runner alone decides, and tells us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A file-size limit (ulimit -f) then fails the write with EFBIG, which is reported, instead
    # of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    raise_open_files_limit(len(spec.users) + 256)
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        worker = Worker(spec, control.send, shared_counts)
    except OSError as exc:  # the part file cannot even be created (disk full)
        control.send(WriteFailed(spec.worker_index, f"{exc.strerror or exc}"))
        control.send(Done(WorkerResult((), 0, 0.0, True)))
        return
    control.send(Ready())
    message = control.recv()
    if not isinstance(message, Start):
        worker.writer.close()
        control.send(Done(WorkerResult((), 0, 0.0, True)))
        return

    def on_control() -> None:
        try:
            command = control.recv()
        except (EOFError, OSError):
            loop.remove_reader(control.fileno())
            worker.request_stop()
            return
        if isinstance(command, Stop):
            worker.request_stop()

    loop.add_reader(control.fileno(), on_control)
    loop.add_signal_handler(signal.SIGTERM, worker.request_stop)
    try:
        result = loop.run_until_complete(worker.run(message.t0_epoch_ns))
    finally:
        loop.remove_reader(control.fileno())
        loop.close()
    control.send(Done(result))
