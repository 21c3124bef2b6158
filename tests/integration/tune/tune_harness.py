"""Helpers for tune integration tests: run ``python -m surge tune`` in a temp folder, remember every
process it starts (by pid, while it runs) and say which are still alive at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

APPS_DIR = Path(__file__).resolve().parent / "apps"


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@dataclass
class TuneHarness:
    """Starts surge in ``folder`` (with the test apps importable) and watches its process tree."""

    folder: Path
    pids: set[int] = field(default_factory=set)
    popens: list[subprocess.Popen[str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _watchers: list[threading.Thread] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        paths = [str(APPS_DIR), os.environ.get("PYTHONPATH", "")]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}

    def start(self, *args: str) -> subprocess.Popen[str]:
        """``python -m surge ARGS`` in its own session (as from a terminal), watched until it ends."""
        process = subprocess.Popen(
            [sys.executable, "-m", "surge", *args],
            cwd=self.folder,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.popens.append(process)
        self.pids.add(process.pid)
        watcher = threading.Thread(target=self._watch, args=(process,), daemon=True)
        watcher.start()
        self._watchers.append(watcher)
        return process

    def run(self, *args: str, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
        process = self.start(*args)
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.cleanup()
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def _watch(self, process: subprocess.Popen[str]) -> None:
        """Note every descendant of the surge process, every 50 ms, for as long as it runs."""
        try:
            root = psutil.Process(process.pid)
        except psutil.Error:
            return
        while process.poll() is None and not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.pids.update(child.pid for child in root.children(recursive=True))
            self._stop.wait(0.05)

    def leftovers(self) -> list[int]:
        """Processes started by surge that are still running (the tune itself must have ended)."""
        for watcher in self._watchers:
            watcher.join(timeout=5)
        marker = str(self.folder)
        for process in psutil.process_iter(["pid", "cmdline"]):
            with contextlib.suppress(psutil.Error):
                if any(marker in part for part in process.info["cmdline"] or []):
                    self.pids.add(process.pid)
        return sorted(pid for pid in self.pids if pid != os.getpid() and alive(pid))

    def cleanup(self) -> None:
        self._stop.set()
        for pid in self.leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in self.popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
