"""``surge ps``: the master and its workers as a tree with pid, age, CPU % and memory (psutil)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from surge.errors import SurgeError
from surge.serve.runfiles import ServerState, read_state_if_any, require_master, workers_of
from surge.units import format_duration_s


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    role: str
    age_s: float
    cpu_percent: float
    rss_bytes: int


@dataclass(frozen=True)
class ServerStatus:
    master: ProcessInfo
    workers: tuple[ProcessInfo, ...]
    state: ServerState | None
    pidfile: Path


def _info(process: psutil.Process, role: str, now_s: float) -> ProcessInfo | None:
    try:
        with process.oneshot():
            return ProcessInfo(
                pid=process.pid,
                role=role,
                age_s=max(0.0, now_s - process.create_time()),
                # Percent of one core over the sampling interval, like top.
                cpu_percent=process.cpu_percent(None),
                rss_bytes=process.memory_info().rss,
            )
    except psutil.Error:
        return None  # exited between listing and sampling


def server_status(pidfile: Path, *, interval_s: float = 0.25) -> ServerStatus:
    """Sample the master and its workers' CPU over ``interval_s`` and describe them."""
    master = require_master(pidfile)
    workers = workers_of(master)
    processes = [master, *workers]
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.cpu_percent(None)  # the first call only starts the measurement
    if interval_s > 0:
        time.sleep(interval_s)
    now_s = time.time()
    state = read_state_if_any(pidfile)
    worker_role = "worker"
    if state is not None and state.mode == "flask-processes":
        worker_role = "request"
    master_info = _info(master, "master", now_s)
    if master_info is None:
        raise SurgeError(f"the server in {pidfile} exited while it was being sampled")
    infos = [_info(w, worker_role, now_s) for w in workers]
    return ServerStatus(
        master=master_info,
        workers=tuple(i for i in infos if i is not None),
        state=state,
        pidfile=pidfile,
    )


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}GB"


def format_tree(status: ServerStatus) -> str:
    """Render the status as a small table whose first column draws the process tree."""
    rows = []
    state = status.state
    if state is not None:
        count = len(status.workers)
        if state.mode == "flask-processes":
            noun = "request process" if count == 1 else "request processes"
        else:
            noun = "worker" if count == 1 else "workers"
        rows.append(f"{state.app} at {state.url} (--mode {state.mode}, {count} {noun})")
    rows.append(f"{'PID':<12} {'ROLE':<8} {'AGE':>7} {'CPU%':>6} {'MEM':>9}")

    def row(prefix: str, info: ProcessInfo) -> str:
        pid = f"{prefix}{info.pid}"
        return (
            f"{pid:<12} {info.role:<8} {format_duration_s(info.age_s):>7}"
            f" {info.cpu_percent:>6.1f} {format_bytes(info.rss_bytes):>9}"
        )

    rows.append(row("", status.master))
    for index, worker in enumerate(status.workers):
        branch = "└─ " if index == len(status.workers) - 1 else "├─ "
        rows.append(row(branch, worker))
    return "\n".join(rows)
