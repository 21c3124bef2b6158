"""A scripted virtual user: an asyncio task calling the group's user function once per iteration.

Used for scenario files and Python users (``UserGroup.behaviour``); it is the same
``surge.engine.unit.LoadUnit`` as ``surge.engine.user.VirtualUser``, so ramp-up, read timeouts,
the end of the run and Ctrl-C work the same way.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from surge.engine.client import HttpConnection
from surge.engine.schedule import think_time_s
from surge.engine.session import Session, StopUser
from surge.engine.unit import GroupState, UserFunction, WorkerContext
from surge.plan import ThinkTime

# After an iteration that raised without sending anything, wait this long: no busy loop on a bug.
_ERROR_PAUSE_S = 0.1


class AsyncUser:
    """Runs ``function(session)`` again and again until the deadline, the iterations or a stop."""

    def __init__(
        self,
        worker: WorkerContext,
        group: GroupState,
        session: Session,
        function: UserFunction,
        name: str,
        iterations: int | None,
        deadline_ns: int,
        think: ThinkTime | None = None,
    ) -> None:
        self.worker = worker
        self.group = group
        self.session = session
        self.function = function
        self.name = name
        self.iterations = iterations if iterations is not None else -1
        self.deadline_ns = deadline_ns
        self.think = None if think is None or think.is_zero else think  # after each iteration
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None
        self.started = False
        self.finished = False

    @property
    def conn(self) -> HttpConnection | None:
        return self.session.conn

    def start(self) -> None:
        if self.finished:
            return
        self.started = True
        self.worker.user_started(self)
        self.task = self.worker.loop.create_task(self._run())

    async def _run(self) -> None:
        session = self.session
        try:
            while self.iterations != session.iteration:
                start_ns = perf_counter_ns()
                if start_ns >= self.deadline_ns or self.worker.stopping:
                    break
                rows_before = session.rows_written
                try:
                    await self.function(session)
                except (StopUser, asyncio.CancelledError):
                    raise
                except Exception as exc:  # a bug or a surprise in the user's code: a failed sample
                    session.record_exception(self.name, exc, start_ns)
                    if session.rows_written <= rows_before + 1:
                        await asyncio.sleep(_ERROR_PAUSE_S)
                session.flush()
                session.iteration += 1
                if self.think is not None and self.iterations != session.iteration:
                    await session.think(think_time_s(self.think, self.worker.rng))
        except (StopUser, asyncio.CancelledError):
            session.flush()  # a response already complete is a sample, even when the run stops
        finally:
            self._finished()

    def connect_timed_out(self, now_ns: int) -> None:
        """Never called: a session connects with its own timeout (no ``send_when_connected``)."""

    def is_stuck(self) -> bool:
        return False  # its task is always waiting for something, and the sweep enforces timeouts

    def end_run(self, now_ns: int, interrupted: bool) -> bool:
        """The run ends: record the request still waiting (True if there was one), then finish."""
        recorded = self.session.record_waiting(now_ns, interrupted)
        self.finish()
        return recorded

    def finish(self) -> None:
        """Stop now: a request in flight is dropped (``end_run`` records it first)."""
        if self.finished:
            return
        task = self.task
        if task is not None and not task.done():
            self.session.close()
            task.cancel()
            return  # the task's finally calls _finished
        self._finished()

    def _finished(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.session.close()
        self.worker.user_finished(self)
