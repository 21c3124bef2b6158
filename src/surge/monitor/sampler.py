"""Sample a process tree (a server's master and its workers) with psutil: CPU, memory, threads, sockets.

The sampler runs in the calling process, on demand: call ``sample()`` whenever a figure is wanted
(once a second from a run's progress callback, at the start and end of a measurement). Nothing
runs in the background and nothing is done at import time beyond importing psutil.

CPU is counted for the whole tree, including processes that came and went between two samples:
the tree's cumulative CPU is the live processes' own CPU plus what the root has collected from the
children it reaped (a gunicorn master reaps the workers it replaces). Between two samples, the
difference of those totals is exact. Per process, the CPU % is since the previous sample (or since
the process started, for one born in between), of one core, as ``top`` shows it.

Memory is the resident set size (RSS) of each process. Forked workers share pages with their
master, so the tree's sum counts shared pages once per process: an upper bound.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from surge.errors import SurgeError

ROOT = "root"
CHILD = "child"


@dataclass(frozen=True)
class ProcessSample:
    """One process at one sample. ``cpu_percent`` is of one core since the previous sample."""

    pid: int
    role: str  # ROOT or CHILD
    cpu_percent: float
    rss_bytes: int
    threads: int
    # TCP connections other than listening sockets; None when the sampler does not count them
    # (counting reads the kernel's socket tables: it costs more than the rest together).
    connections: int | None


@dataclass(frozen=True)
class TreeSample:
    """The tree at one moment: its processes now and the tree's CPU since the previous sample."""

    at_s: float  # time.monotonic() of the sample
    root_pid: int | None  # None when no root process is running
    processes: tuple[ProcessSample, ...]
    # Cumulative CPU seconds of the tree (live processes and reaped children) since the root
    # started; compare two samples with ``cpu_percent_between``.
    cpu_s: float
    interval_s: float  # since the previous sample of this sampler; 0.0 for the first
    cpu_percent: float  # of one core, over interval_s (0.0 for the first sample)
    # The root changed since the previous sample (a new server from the same pidfile): the CPU
    # figures restart from this sample.
    restarted: bool = False

    @property
    def root_alive(self) -> bool:
        return self.root_pid is not None

    @property
    def rss_bytes(self) -> int:
        return sum(p.rss_bytes for p in self.processes)

    @property
    def threads(self) -> int:
        return sum(p.threads for p in self.processes)

    @property
    def connections(self) -> int | None:
        counts = [p.connections for p in self.processes]
        if any(count is None for count in counts):
            return None
        return sum(c for c in counts if c is not None)


def cpu_percent_between(first: TreeSample, last: TreeSample) -> float:
    """The tree's CPU, % of one core, from ``first`` to ``last`` (two samples of one sampler)."""
    span_s = last.at_s - first.at_s
    if span_s <= 0 or last.root_pid != first.root_pid or last.root_pid is None:
        return 0.0
    return max(0.0, 100.0 * (last.cpu_s - first.cpu_s) / span_s)


@dataclass(frozen=True)
class TreeSummary:
    """Figures over a series of samples: mean CPU, peak and last memory, most threads and sockets."""

    samples: int
    duration_s: float
    cpu_percent: float  # mean, % of one core, first to last sample
    peak_rss_bytes: int
    last_rss_bytes: int
    peak_threads: int
    peak_connections: int | None
    processes_seen: int  # distinct processes over the samples (replaced workers count again)


def summarize(samples: list[TreeSample]) -> TreeSummary:
    """Summarize samples of one sampler, oldest first (an empty list gives zeros)."""
    if not samples:
        return TreeSummary(0, 0.0, 0.0, 0, 0, 0, None, 0)
    # The CPU span starts again at a restart: only the samples of the last root count.
    start = max((i for i, s in enumerate(samples) if s.restarted), default=0)
    span = [s for s in samples[start:] if s.root_alive]
    cpu = cpu_percent_between(span[0], span[-1]) if len(span) >= 2 else 0.0
    connections = [s.connections for s in samples if s.connections is not None]
    return TreeSummary(
        samples=len(samples),
        duration_s=samples[-1].at_s - samples[0].at_s,
        cpu_percent=cpu,
        peak_rss_bytes=max(s.rss_bytes for s in samples),
        last_rss_bytes=samples[-1].rss_bytes,
        peak_threads=max(s.threads for s in samples),
        peak_connections=max(connections) if connections else None,
        processes_seen=len({p.pid for s in samples for p in s.processes}),
    )


@dataclass
class _Known:
    cpu_s: float
    create_time: float


@dataclass
class TreeSampler:
    """Samples the tree under one root process: a pid, or the pid in a pidfile (read at each sample).

    With a pidfile the sampler follows the server: when the pidfile names another process (the
    server was restarted), that one becomes the root and ``TreeSample.restarted`` says so. With a
    pid, a root that has exited gives samples with no processes.
    """

    pid: int | None = None
    pidfile: Path | None = None
    connections: bool = False
    _root: psutil.Process | None = field(default=None, init=False, repr=False)
    _known: dict[int, _Known] = field(default_factory=dict, init=False, repr=False)
    _last_at_s: float | None = field(default=None, init=False, repr=False)
    _last_cpu_s: float = field(default=0.0, init=False, repr=False)
    _last_root_pid: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if (self.pid is None) == (self.pidfile is None):
            raise ValueError("give a pid or a pidfile")

    def sample(self) -> TreeSample:
        """The tree now; CPU since the previous call (the first call sets the baseline)."""
        now_s = time.monotonic()
        root = self._current_root()
        processes: list[ProcessSample] = []
        cpu_s = 0.0
        previous_at_s = self._last_at_s
        interval_s = now_s - previous_at_s if previous_at_s is not None else 0.0
        root_pid = root.pid if root is not None else None
        restarted = root_pid is not None and self._last_root_pid not in (None, root_pid)
        if restarted:
            self._known.clear()
        seen: dict[int, _Known] = {}
        if root is not None:
            members = [(root, ROOT)]
            with contextlib.suppress(psutil.Error):
                members += [(child, CHILD) for child in root.children(recursive=True)]
            for process, role in members:
                taken = self._sample_one(process, role, interval_s, previous_at_s, seen)
                if taken is None:
                    continue
                sample, own_cpu_s = taken
                processes.append(sample)
                cpu_s += own_cpu_s
                if role == ROOT:
                    cpu_s += _reaped_cpu_s(process)
        self._known = seen
        fresh = previous_at_s is None or restarted or self._last_root_pid is None
        tree_percent = 0.0
        if root_pid is not None and not fresh and interval_s > 0:
            tree_percent = max(0.0, 100.0 * (cpu_s - self._last_cpu_s) / interval_s)
        self._last_at_s = now_s
        self._last_cpu_s = cpu_s
        self._last_root_pid = root_pid
        return TreeSample(
            at_s=now_s,
            root_pid=root_pid,
            processes=tuple(processes),
            cpu_s=cpu_s,
            interval_s=interval_s,
            cpu_percent=tree_percent,
            restarted=restarted,
        )

    # -- internals ---------------------------------------------------------------------------------

    def _current_root(self) -> psutil.Process | None:
        pid = self.pid
        if self.pidfile is not None:
            from surge.serve.runfiles import read_pid

            try:
                pid = read_pid(self.pidfile)
            except SurgeError:
                pid = None  # unreadable for a moment (being rewritten): no root this sample
        if pid is None:
            self._root = None
            return None
        root = self._root
        if root is None or root.pid != pid or not _running(root):
            try:
                root = psutil.Process(pid)
            except psutil.Error:
                root = None
        # psutil.Process remembers the start time, so a recycled pid is never taken for the root.
        self._root = root if root is not None and _running(root) else None
        return self._root

    def _sample_one(
        self,
        process: psutil.Process,
        role: str,
        interval_s: float,
        previous_at_s: float | None,
        seen: dict[int, _Known],
    ) -> tuple[ProcessSample, float] | None:
        try:
            with process.oneshot():
                times = process.cpu_times()
                own_cpu_s = times.user + times.system
                created = process.create_time()
                rss = process.memory_info().rss
                threads = process.num_threads()
                status = process.status()
        except psutil.Error:
            return None  # exited between listing and sampling
        if status == psutil.STATUS_ZOMBIE:
            return None
        connections = _connection_count(process) if self.connections else None
        known = self._known.get(process.pid)
        percent = 0.0
        if known is not None and known.create_time == created:
            if interval_s > 0:
                percent = 100.0 * max(0.0, own_cpu_s - known.cpu_s) / interval_s
        elif previous_at_s is not None and interval_s > 0:
            # Born since the previous sample: all of its CPU was spent in this interval.
            born_ago_s = time.time() - created
            if born_ago_s <= interval_s:
                percent = 100.0 * own_cpu_s / interval_s
        seen[process.pid] = _Known(own_cpu_s, created)
        return ProcessSample(process.pid, role, percent, rss, threads, connections), own_cpu_s


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _reaped_cpu_s(root: psutil.Process) -> float:
    """CPU of the root's children that have exited and been reaped (kept by the kernel for it)."""
    try:
        times = root.cpu_times()
    except psutil.Error:
        return 0.0
    return float(getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0))


def _connection_count(process: psutil.Process) -> int | None:
    try:
        sockets = process.net_connections(kind="tcp")
    except psutil.Error:
        return None
    return sum(1 for s in sockets if s.status != psutil.CONN_LISTEN)
