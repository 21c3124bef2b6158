"""The engine's inner contract: what a load unit may use of its worker, and what the worker asks of it.

A worker runs load units on its event loop: virtual users (``surge.engine.user``), scripted users
(``surge.engine.async_user`` with a ``surge.engine.session.Session``) and open-model slots
(``surge.engine.open_model``). Units see their worker only as a ``WorkerContext``: they read its
clock, random generator, row buffer and settings, and act on it through its methods, never by
writing its fields. The worker sees a user only as a ``LoadUnit``. Scripted users come from a
``Behaviour`` the plan carries (a scenario-file flow, a Python module), built by the layers above
the engine, so the engine never imports them.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from surge.engine.client import HttpConnection, PreparedRequest, ResponseCache
    from surge.engine.summary import LabelStats


class GroupState:
    """Active users of one group: here (``local``) and in the whole run (``threads``), and of all groups.

    ``counts_text`` is the JTL's ``,grpThreads,allThreads`` piece, rebuilt only when counts change.
    Written by the worker alone; units read it.
    """

    __slots__ = ("all_threads", "counts_text", "index", "local", "threads")

    def __init__(self, index: int) -> None:
        self.index = index
        self.local = 0
        self.threads = 0
        self.all_threads = 0  # every group's, in the whole run
        self.counts_text = ",0,0"


class WorkerContext(Protocol):
    """What a load unit may use of its worker (``surge.engine.worker.Worker``)."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...
    @property
    def rng(self) -> random.Random: ...
    @property
    def worker_index(self) -> int: ...
    @property
    def processes(self) -> int: ...
    @property
    def thread_prefix(self) -> str: ...  # starts every threadName (cluster mode: the worker's name)
    @property
    def stopping(self) -> bool: ...  # the run is ending: send nothing more
    @property
    def timeout_s(self) -> float: ...
    @property
    def ok_by_status(self) -> list[bool]: ...  # success by HTTP status, 0-999
    @property
    def ssl_context(self) -> ssl.SSLContext | None: ...
    @property
    def response_cache(self) -> ResponseCache: ...
    @property
    def shared(self) -> dict[str, Any]: ...  # per-process state of scenario features (feeder cursors)
    # Epoch ms = perf-counter ms + epoch_offset_ms; ``stamp`` is ``stamp_ms``'s epoch ms as text.
    @property
    def epoch_offset_ns(self) -> int: ...
    @property
    def epoch_offset_ms(self) -> int: ...
    @property
    def stamp_ms(self) -> int: ...
    @property
    def stamp(self) -> str: ...
    @property
    def rows_append(self) -> Callable[[str], None]: ...  # one JTL row, with its newline

    def restamp(self, perf_ms: int) -> None:
        """Make ``stamp`` the epoch-ms text of the perf-counter millisecond ``perf_ms``."""

    def prepare(
        self, method: str, url: str, headers: tuple[tuple[str, str], ...], body: bytes, label: str
    ) -> PreparedRequest:
        """Request bytes for a scripted user's request, built once per distinct request."""

    def stats_for(self, label: str) -> LabelStats: ...
    def tls_context(self) -> ssl.SSLContext: ...
    def user_started(self, user: LoadUnit) -> None: ...
    def user_finished(self, user: LoadUnit) -> None: ...
    def unit_finished(self) -> None:
        """An open group's dispatcher has sent all its arrivals and seen them finish."""

    def connections_changed(self, group: GroupState, delta: int) -> None:
        """An open group opened (``delta`` > 0) or closed connections: they count as its users."""

    def waiting_recorded(self) -> None:
        """A request still waiting at the end of the run was recorded as a failed sample."""


class LoadUnit(Protocol):
    """What the worker asks of a user: start it, end it, and let its sweep check it."""

    @property
    def group(self) -> GroupState: ...
    @property
    def started(self) -> bool: ...
    @property
    def finished(self) -> bool: ...
    @property
    def deadline_ns(self) -> int: ...  # when it sends its last request (perf counter)
    @property
    def timer(self) -> asyncio.TimerHandle | None: ...  # set while thinking
    @property
    def conn(self) -> HttpConnection | None: ...

    def start(self) -> None: ...
    def finish(self) -> None: ...
    def end_run(self, now_ns: int, interrupted: bool) -> bool:
        """Record the request still waiting (True if there was one), then finish."""

    def is_stuck(self) -> bool:
        """True when it waits for nothing at all (a bug raised inside a callback)."""

    def connect_timed_out(self, now_ns: int) -> None: ...


# A scripted user's function, called once per iteration with its ``surge.engine.session.Session``.
UserFunction = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class BoundBehaviour:
    """A behaviour ready to run in one worker: the function, its name for error samples, a base URL."""

    function: UserFunction
    name: str
    base_url: str = ""


@runtime_checkable
class Behaviour(Protocol):
    """``UserGroup.behaviour``: what scripted users of a group do (a flow, a Python module)."""

    def bind(self, context: WorkerContext) -> BoundBehaviour:
        """Build the user function for one worker (once per worker and group)."""
        ...
