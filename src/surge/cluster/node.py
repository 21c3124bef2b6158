"""What runs on a Dask worker: one surge worker, the same code a local worker process runs.

``run_node`` is the Dask task. It builds a ``surge.engine.worker.Worker`` whose rows are streamed
(no part file on the remote machine), says ``Ready``, waits for the agreed start time, runs, and
says ``Done``. Messages go to the client through one Dask ``Queue`` per run, sent from a thread
of their own so that the event loop never waits on the network; a Dask ``Event`` set by the
client stops the run (Ctrl-C, ``--abort-on-fail``, a failure elsewhere).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import Any

from surge.engine.messages import Done, Ready, WorkerResult
from surge.engine.worker import Worker, WorkerSpec
from surge.engine.worker_process import new_event_loop, raise_open_files_limit

# How long a node waits for the start time after saying Ready (the client waits as long for all).
READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class RunNames:
    """The Dask names one run's coordination objects share (unique per run)."""

    run_id: str

    @property
    def messages(self) -> str:
        return f"surge-{self.run_id}-messages"

    @property
    def start(self) -> str:
        return f"surge-{self.run_id}-start"

    @property
    def stop(self) -> str:
        return f"surge-{self.run_id}-stop"


@dataclass(frozen=True)
class NodeSpec:
    worker: WorkerSpec
    names: RunNames


def run_node(spec: NodeSpec) -> WorkerResult:
    """The Dask task: run one worker's share of the plan and stream everything it records."""
    from distributed import Event, Queue, Variable

    raise_open_files_limit(len(spec.worker.users) + 256)
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = _Sender(Queue(spec.names.messages), outbox)
    sender.start()
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    result = WorkerResult((), 0, 0.0, True)
    try:
        worker = Worker(spec.worker, outbox.put)
        outbox.put(Ready(spec.worker.worker_index))
        t0_epoch_ns = int(Variable(spec.names.start).get(timeout=READY_TIMEOUT_S))
        if t0_epoch_ns > 0:
            stopper = _StopListener(Event(spec.names.stop), loop, worker)
            stopper.start()
            try:
                result = loop.run_until_complete(worker.run(t0_epoch_ns))
            finally:
                stopper.finish()
        else:
            worker.writer.close()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        outbox.put(Done(result, spec.worker.worker_index))
        sender.finish()
    return result


class _Sender(threading.Thread):
    """Puts the worker's messages on the run's Dask queue, in order, off the event loop's thread."""

    def __init__(self, messages: Any, outbox: queue.SimpleQueue[Any]) -> None:
        super().__init__(name="surge-node-sender", daemon=True)
        self.messages = messages
        self.outbox = outbox
        self._end = object()

    def run(self) -> None:
        while True:
            item = self.outbox.get()
            if item is self._end:
                return
            self.messages.put(item)

    def finish(self) -> None:
        """Send what is queued, then end (the Done message is the last)."""
        self.outbox.put(self._end)
        self.join(timeout=60)


class _StopListener(threading.Thread):
    """Waits for the run's stop event; asks the worker to stop, on its own loop's thread."""

    def __init__(self, event: Any, loop: asyncio.AbstractEventLoop, worker: Worker) -> None:
        super().__init__(name="surge-node-stop", daemon=True)
        self.event = event
        self.loop = loop
        self.worker = worker
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                if self.event.wait(timeout=0.5):
                    self.loop.call_soon_threadsafe(self.worker.request_stop)
                    return
            except Exception:  # the scheduler went away: the client's side notices and stops
                if self._done.wait(0.5):
                    return

    def finish(self) -> None:
        self._done.set()
        self.join(timeout=5)
