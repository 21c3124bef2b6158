"""Process control through the pidfile with gunicorn's signals: TTIN/TTOU scale, HUP reload, TERM stop."""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from surge.errors import SurgeError, UsageError
from surge.serve.options import state_path
from surge.serve.profiles import GUNICORN_MODES
from surge.serve.runfiles import (
    ServerState,
    is_alive,
    read_pid,
    read_state_if_any,
    require_master,
    workers_of,
)

if TYPE_CHECKING:
    import psutil

_POLL_S = 0.05
DEFAULT_GRACEFUL_TIMEOUT_S = 30.0
# After gunicorn's graceful timeout the master kills its workers itself and exits; this is
# how much longer we give it before concluding it is stuck.
STOP_MARGIN_S = 5.0
# How long one TTIN may take to show up as a new worker.
SCALE_STEP_TIMEOUT_S = 15.0
# After a TTOU, wait this long at most for the retired worker to exit before the next signal.
RETIRE_PAUSE_S = 3.0


@dataclass(frozen=True)
class StopReport:
    master_pid: int
    graceful: bool  # False when KILL had to be sent
    killed_pids: tuple[int, ...]
    waited_s: float


@dataclass(frozen=True)
class ScaleReport:
    before: int
    after: int  # the master's worker count now
    retiring: int = 0  # retired workers still finishing their requests


@dataclass(frozen=True)
class ReloadReport:
    old_pids: tuple[int, ...]
    new_pids: tuple[int, ...]
    complete: bool  # False when old workers were still running at the deadline


def wait_gone(processes: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until every process has exited (zombies count as exited); return those still alive."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in processes if is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        alive = [p for p in alive if is_alive(p)]
    return alive


def _worker_pids(master: psutil.Process) -> set[int]:
    return {p.pid for p in workers_of(master)}


def _gunicorn_state(pidfile: Path, action: str) -> ServerState | None:
    """The server's state file, if any; ``action`` is refused for Flask's development server."""
    state = read_state_if_any(pidfile)
    if state is not None and state.mode not in GUNICORN_MODES:
        raise UsageError(f"{action} needs a gunicorn mode; this server runs --mode {state.mode}")
    return state


def _wait_limit_s(timeout_s: float | None, state: ServerState | None) -> float:
    """How long reload and stop wait: ``timeout_s`` if given, else the graceful timeout plus a margin."""
    if timeout_s is not None:
        return timeout_s
    graceful_s = state.graceful_timeout_s if state is not None else DEFAULT_GRACEFUL_TIMEOUT_S
    return graceful_s + STOP_MARGIN_S


@dataclass(frozen=True)
class WorkerCount:
    """What ``surge scale`` was asked for: a count to reach (``N``), or a change to it (``+N`` / ``-N``)."""

    value: int
    relative: bool = False

    def target(self, current: int) -> int:
        return current + self.value if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value:+d}" if self.relative else str(self.value)


def parse_worker_count(text: str) -> WorkerCount:
    """``"3"`` sets the count to 3 (as docker and kubectl scale); ``"+2"`` adds two, ``"-1"`` removes one."""
    stripped = text.strip()
    relative = stripped[:1] in ("+", "-")
    digits = stripped[1:] if relative else stripped
    if not digits.isdigit() or not digits.isascii():
        raise UsageError(f"expected N, +N or -N workers, got {text!r}")
    value = int(digits) * (-1 if stripped.startswith("-") else 1)
    if relative and value == 0:
        raise UsageError(f"{text!r} changes nothing: give +N or -N with N at least 1, or a count N")
    if not relative and value < 1:
        raise UsageError(f"cannot scale to {value} workers: at least 1 worker must remain")
    return WorkerCount(value, relative)


def scale(pidfile: Path, count: WorkerCount) -> ScaleReport:
    """Bring the master to ``count`` workers: TTIN adds one, TTOU retires one, one signal at a time.

    Signals of one kind that arrive together are merged by the kernel, so each one is sent only
    after the master has visibly acted on the previous one: a new worker for TTIN; for TTOU a
    worker fewer, or a short pause, since a retired worker may take up to the graceful timeout
    to finish its requests.
    """
    state = _gunicorn_state(pidfile, "surge scale")
    master = require_master(pidfile)
    before = len(_worker_pids(master))
    target = count.target(before)
    if target < 1:
        raise UsageError(f"cannot scale {before} workers by {count}: at least 1 worker must remain")
    delta = target - before
    sig = signal.SIGTTIN if delta > 0 else signal.SIGTTOU
    step_timeout_s = SCALE_STEP_TIMEOUT_S if delta > 0 else RETIRE_PAUSE_S
    for _ in range(abs(delta)):
        current = _worker_pids(master)
        master.send_signal(sig)
        deadline = time.monotonic() + step_timeout_s
        while time.monotonic() < deadline:
            now = _worker_pids(master)
            if (delta > 0 and now - current) or (delta < 0 and len(now) < len(current)):
                break
            if not is_alive(master):
                raise SurgeError("the server exited while scaling")
            time.sleep(_POLL_S)
        else:
            if delta > 0:
                raise SurgeError(f"the master did not start a worker within {SCALE_STEP_TIMEOUT_S:g}s")
    if state is not None:
        _record_workers(pidfile, state, target)
    after = len(_worker_pids(master))
    return ScaleReport(before=before, after=target, retiring=max(0, after - target))


def _record_workers(pidfile: Path, state: ServerState, workers: int) -> None:
    """Write the new count into the state file, which the master re-reads on HUP, so a reload keeps it."""
    settings = {**state.settings, "workers": workers}
    replace(state, workers=workers, settings=settings).write(state_path(pidfile))


def reload(pidfile: Path, timeout_s: float | None = None) -> ReloadReport:
    """HUP: gunicorn re-reads its configuration, boots new workers (new code) and retires the old ones."""
    state = _gunicorn_state(pidfile, "surge reload")
    master = require_master(pidfile)
    old = _worker_pids(master)
    master.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + _wait_limit_s(timeout_s, state)
    now = old
    while time.monotonic() < deadline:
        now = _worker_pids(master)
        if now and not (now & old):
            return ReloadReport(tuple(sorted(old)), tuple(sorted(now)), complete=True)
        if not is_alive(master):
            raise SurgeError("the server exited during the reload")
        time.sleep(_POLL_S)
    return ReloadReport(tuple(sorted(old)), tuple(sorted(now - old)), complete=False)


def signal_workers(master_pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the master's live workers (its children now, so never a recycled pid)."""
    import psutil

    try:
        workers = workers_of(psutil.Process(master_pid))
    except psutil.Error:
        return
    for worker in workers:
        with contextlib.suppress(psutil.Error):
            worker.send_signal(sig)


def _kill(processes: list[psutil.Process]) -> list[int]:
    """KILL each process; return the pids of those that were still there to kill."""
    import psutil

    killed: list[int] = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
            killed.append(process.pid)
    return killed


def stop_server(
    pidfile: Path, *, timeout_s: float | None = None, master_pid: int | None = None
) -> StopReport:
    """TERM the master (graceful); KILL it and its workers only if it outlives the graceful timeout.

    ``master_pid`` names the master directly (the launcher knows it before the pidfile exists);
    a master that has already exited is then simply reported as stopped.
    """
    import psutil  # not at import time: building the parser of every surge command imports this module

    if master_pid is not None:
        try:
            master = psutil.Process(master_pid)
        except psutil.NoSuchProcess:
            return StopReport(master_pid=master_pid, graceful=True, killed_pids=(), waited_s=0.0)
    else:
        master = require_master(pidfile)
    limit_s = _wait_limit_s(timeout_s, read_state_if_any(pidfile))
    workers = workers_of(master)
    started = time.monotonic()
    with contextlib.suppress(psutil.NoSuchProcess):
        master.send_signal(signal.SIGTERM)
    killed: list[int] = []
    if wait_gone([master], limit_s):
        killed += _kill([master, *workers])
        wait_gone([master], 5.0)
    # The master normally takes its workers down with it; any left are orphans and get KILL.
    killed += _kill(wait_gone(workers, 2.0))
    wait_gone(workers, 5.0)
    # The server is stopped whatever the pidfile holds now; only our master's pidfile is removed.
    with contextlib.suppress(SurgeError):
        if read_pid(pidfile) == master.pid:
            pidfile.unlink(missing_ok=True)
    return StopReport(
        master_pid=master.pid,
        graceful=not killed,
        killed_pids=tuple(killed),
        waited_s=time.monotonic() - started,
    )
