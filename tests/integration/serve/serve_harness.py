"""Helpers for serve integration tests: run the surge CLI in a temp folder, clean up every server by pid."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

CLI_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def alive(pid: int) -> bool:
    """Running and not a zombie (a dead process nobody has reaped yet counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


@dataclass
class Harness:
    """Runs ``python -m surge`` in ``folder``; remembers every process it may have started."""

    folder: Path
    pids: set[int] = field(default_factory=set)
    popens: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(
        self, module: str, *args: str, stdout: int = subprocess.PIPE, stderr: int = subprocess.PIPE
    ) -> subprocess.Popen[str]:
        """Start ``python -m MODULE ARGS`` in the folder without waiting; cleanup() kills what is left."""
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=self.folder, stdout=stdout, stderr=stderr, text=True
        )
        self.popens.append(process)
        return process

    def surge(self, *args: str, timeout_s: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "surge", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        self.remember_servers()
        return result

    def serve(self, *args: str) -> int:
        """Start ``surge serve ... --daemon`` on a free port and return the port."""
        port = free_port()
        result = self.surge("serve", *args, "--bind", f"127.0.0.1:{port}", "--daemon")
        assert result.returncode == 0, result.stderr
        return port

    def master_pid(self, run_dir: str = "surge-run") -> int:
        return int((self.folder / run_dir / "serve.pid").read_text().strip())

    def workers(self, run_dir: str = "surge-run") -> set[int]:
        master = psutil.Process(self.master_pid(run_dir))
        return {child.pid for child in master.children() if alive(child.pid)}

    def ps(self, *args: str) -> dict[str, Any]:
        result = self.surge("ps", "--json", "--interval", "0", *args)
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def remember_servers(self) -> None:
        """Note the pid of every process started from this folder (its path is in the command line)."""
        marker = str(self.folder)
        for process in psutil.process_iter(["pid", "cmdline"]):
            with contextlib.suppress(psutil.Error):
                if any(marker in part for part in process.info["cmdline"] or []):
                    self.pids.add(process.pid)
                    self.pids.update(child.pid for child in process.children(recursive=True))

    def cleanup(self) -> None:
        self.remember_servers()
        for popen in self.popens:
            self.pids.add(popen.pid)
        for pid in self.pids:
            if pid != os.getpid() and alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for popen in self.popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
