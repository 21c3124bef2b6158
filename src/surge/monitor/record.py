"""The metrics file of a monitored run: the server's processes, the machine and the generator, each second.

``surge run --monitor TARGET`` writes ``<results file without .jtl>.metrics.csv`` beside the results
file, one row per process per second plus one row each for the whole server, the machine and the
load generator (columns and kinds in docs/run.md), flushed every second so that an interrupted run
keeps it. ``surge report`` draws its Server page from it.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import psutil

from surge.errors import SurgeError, UsageError
from surge.monitor.sampler import ROOT, TreeSample, TreeSampler

COLUMNS = (
    "timeStamp",
    "elapsed_s",
    "kind",
    "pid",
    "role",
    "cpu_percent",
    "rss_bytes",
    "threads",
    "connections",
    "note",
)
# kind: one process of the server; the server's tree in total; the machine; the load generator;
# an event (the server went away, or was replaced).
PROCESS, SERVER, MACHINE, GENERATOR, EVENT = "process", "server", "machine", "generator", "event"
METRICS_SUFFIX = ".metrics.csv"


def metrics_path(results_path: Path) -> Path:
    """``results.jtl`` -> ``results.metrics.csv`` (any other name: the suffix appended)."""
    name = results_path.name
    stem = name[: -len(".jtl")] if name.endswith(".jtl") else name
    return results_path.with_name(stem + METRICS_SUFFIX)


def sampler_for(target: str) -> TreeSampler:
    """A sampler of TARGET, a PID or a pidfile written by ``surge serve``; checked now (bad input: exit 2)."""
    if target.isdigit():
        pid = int(target)
        try:
            process = psutil.Process(pid)
            process.cpu_times()
            process.memory_info()
        except psutil.NoSuchProcess as exc:
            raise UsageError(f"--monitor {target}: no process with this pid") from exc
        except psutil.AccessDenied as exc:
            raise UsageError(f"--monitor {target}: not allowed to read this process (not yours?)") from exc
        return TreeSampler(pid=pid, connections=True)
    path = Path(target)
    if not path.exists():
        raise UsageError(f"--monitor {target}: no such pidfile (give the pidfile of surge serve, or a pid)")
    from surge.serve.runfiles import read_pid

    try:
        named = read_pid(path)
    except SurgeError as exc:
        raise UsageError(f"--monitor {target}: {exc}") from exc
    if named is None or not psutil.pid_exists(named):
        raise UsageError(f"--monitor {target}: the server it names is not running")
    return TreeSampler(pidfile=path, connections=True)


@dataclass
class ServerFigures:
    """What the run's summary and the report's info table say of the monitored server."""

    peak_cpu_percent: float = 0.0  # of one core, the whole tree
    peak_rss_bytes: int = 0
    peak_generator_cpu_percent: float = 0.0
    processes_seen: int = 0
    gone_at_s: float | None = None  # when the server went away during the run
    restarts: int = 0


class MetricsRecorder:
    """Samples the server (if any), the machine and the generator, and appends one second's rows."""

    def __init__(self, path: Path, sampler: TreeSampler | None) -> None:
        self.path = path
        self.sampler = sampler
        self.figures = ServerFigures()
        self._pids: set[int] = set()
        self._was_alive = True
        try:
            self._file: TextIO = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"cannot write the metrics file {path}: {exc.strerror or exc}") from exc
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(COLUMNS)
        self._file.flush()
        psutil.cpu_percent(None)  # the machine's baseline: the first row measures from here
        if sampler is not None:
            sampler.sample()  # the server's baseline

    def record(self, elapsed_s: float, generator_cpu_percent: float) -> None:
        """One second's rows (called once a second, from the process that drives the load)."""
        now_ms = time.time_ns() // 1_000_000
        at = f"{elapsed_s:.3f}"
        rows: list[tuple[object, ...]] = []
        if self.sampler is not None:
            sample = self.sampler.sample()
            rows.extend(self._server_rows(now_ms, at, elapsed_s, sample))
        memory = psutil.virtual_memory()
        rows.append((now_ms, at, MACHINE, "", "", f"{psutil.cpu_percent(None):.1f}", memory.used, "", "", ""))
        rows.append((now_ms, at, GENERATOR, os.getpid(), "", f"{generator_cpu_percent:.1f}", "", "", "", ""))
        figures = self.figures
        figures.peak_generator_cpu_percent = max(figures.peak_generator_cpu_percent, generator_cpu_percent)
        try:
            self._writer.writerows(rows)
            self._file.flush()
        except OSError as exc:
            raise SurgeError(f"cannot write the metrics file {self.path}: {exc.strerror or exc}") from exc

    def _server_rows(
        self, now_ms: int, at: str, elapsed_s: float, sample: TreeSample
    ) -> list[tuple[object, ...]]:
        figures = self.figures
        rows: list[tuple[object, ...]] = []
        if not sample.root_alive:
            if self._was_alive:
                self._was_alive = False
                figures.gone_at_s = elapsed_s
                rows.append((now_ms, at, EVENT, "", "", "", "", "", "", "server gone"))
            return rows
        if sample.restarted or not self._was_alive:
            figures.restarts += 1
            rows.append((now_ms, at, EVENT, sample.root_pid, ROOT, "", "", "", "", "server replaced"))
        self._was_alive = True
        for p in sample.processes:
            self._pids.add(p.pid)
            connections_text = "" if p.connections is None else p.connections
            rows.append(
                (now_ms, at, PROCESS, p.pid, p.role, f"{p.cpu_percent:.1f}", p.rss_bytes, p.threads,
                 connections_text, "")
            )  # fmt: skip
        connections = sample.connections
        rows.append(
            (now_ms, at, SERVER, sample.root_pid, ROOT, f"{sample.cpu_percent:.1f}", sample.rss_bytes,
             sample.threads, "" if connections is None else connections, "")
        )  # fmt: skip
        figures.peak_cpu_percent = max(figures.peak_cpu_percent, sample.cpu_percent)
        figures.peak_rss_bytes = max(figures.peak_rss_bytes, sample.rss_bytes)
        figures.processes_seen = len(self._pids)
        return rows

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
