"""Start the server process from ``surge serve``: validate first, then wait until every worker has booted.

Everything that commonly goes wrong (a module that does not import, a missing app object, a port
in use, a server already running from the run folder) is checked here, in the foreground, before
gunicorn starts; gunicorn's own "worker failed to boot" exit is read from the exit code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from surge.errors import SurgeError, UsageError
from surge.serve import control
from surge.serve.handshake import EXIT_APP_LOAD_ERROR, EXIT_WORKER_BOOT_ERROR, READY_FD_ENV
from surge.serve.loader import load_app
from surge.serve.options import ServePlan
from surge.serve.runfiles import CONSOLE_LOG_NAME, ServerState, boot_error_path, live_master
from surge.serve.settings import gunicorn_settings, settings_dict

_POLL_S = 0.05
# How a server that was stopped on request (Ctrl-C, TERM) exits.
_STOPPED_EXITS = (0, -signal.SIGINT, -signal.SIGTERM)
_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(: .*)?$")


def check_bind_free(host: str, port: int) -> None:
    """Bind and release the address, with SO_REUSEADDR as gunicorn binds, to fail fast and clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except socket.gaierror as exc:
        raise UsageError(f"cannot bind to {host}:{port}: unknown host ({exc.strerror})") from exc
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SurgeError(
                f"{host}:{port} is already in use; stop what listens there or choose another --bind"
            ) from exc
        if exc.errno == errno.EACCES:
            raise SurgeError(
                f"cannot bind to {host}:{port}: permission denied (ports below 1024 need root)"
            ) from exc
        raise SurgeError(f"cannot bind to {host}:{port}: {exc.strerror}") from exc


def server_state(plan: ServePlan, directory: Path) -> ServerState:
    opts = plan.options
    return ServerState(
        app=opts.app,
        mode=opts.mode,
        url=plan.url,
        host=plan.host,
        port=plan.port,
        workers=plan.workers,
        graceful_timeout_s=opts.graceful_timeout_s,
        pidfile=str(plan.pidfile),
        directory=str(directory),
        preload=opts.preload,
        settings=settings_dict(gunicorn_settings(plan)) if plan.profile.is_gunicorn else {},
        log_dir=str(plan.log_dir) if plan.log_dir else None,
        log_max_bytes=opts.log_max_bytes,
        log_backups=opts.log_backups,
        log_level=opts.log_level,
    )


def last_error_line(paths: list[Path], *, max_bytes: int = 65536) -> str | None:
    """The last ``SomeError: message`` line in the tails of ``paths`` (logs of a failed boot)."""
    for path in paths:
        try:
            with path.open("rb") as file:
                file.seek(0, os.SEEK_END)
                file.seek(max(0, file.tell() - max_bytes))
                lines = file.read().decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        for line in reversed(lines):
            if _ERROR_LINE.match(line.strip()):
                return line.strip()
    return None


@dataclass
class RunningServer:
    """A server process started by start_server; ``worker_pids`` are those that announced a boot."""

    plan: ServePlan
    process: subprocess.Popen[bytes]
    worker_pids: list[int] = field(default_factory=list)
    console_log: Path | None = None
    # The last signal passed on to the server (Ctrl-C or TERM), or None.
    signalled: int | None = None
    _previous_handlers: dict[int, Any] = field(default_factory=dict)

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def failure(self, code: int) -> SurgeError:
        """Translate the server's exit code into one line, with the error found in its logs."""
        logs = [p for p in (self.plan.error_log, self.console_log) if p is not None]
        try:
            found: str | None = boot_error_path(self.plan.pidfile).read_text(encoding="utf-8").strip()
        except OSError:
            found = None
        found = found or last_error_line(logs)
        detail = f": {found}" if found else ""
        where = f" (see {', '.join(str(p) for p in logs)})" if logs else " (see the log above)"
        if code == EXIT_WORKER_BOOT_ERROR:
            return SurgeError(f"a worker failed to boot, so gunicorn stopped{detail}{where}")
        if code == EXIT_APP_LOAD_ERROR:
            return SurgeError(f"the app failed to load in the server process{detail}{where}")
        if code in _STOPPED_EXITS:
            return SurgeError(f"the server stopped before it was ready{where}")
        if code < 0:
            return SurgeError(f"the server was killed by signal {signal.Signals(-code).name}{where}")
        return SurgeError(f"the server exited with code {code}{detail}{where}")

    def forward_signals(self) -> None:
        """Pass Ctrl-C and TERM on to the server (a graceful stop) instead of dying and orphaning it."""

        def forward(signum: int, frame: FrameType | None) -> None:
            self.signalled = signum
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers.setdefault(sig, signal.signal(sig, forward))

    def restore_signals(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()

    def wait(self) -> int:
        """Wait for a foreground server to exit; Ctrl-C and TERM are passed on to it (graceful stop)."""
        self.forward_signals()
        try:
            code = self.process.wait()
        finally:
            self.restore_signals()
        if code not in _STOPPED_EXITS:
            raise self.failure(code)
        return 0

    def stop(self, timeout_s: float | None = None) -> control.StopReport:
        """Stop gracefully (TERM, then KILL after the graceful timeout) and reap the process."""
        report = control.stop_server(self.plan.pidfile, timeout_s=timeout_s, master_pid=self.master_pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        return report


@contextlib.contextmanager
def _console(plan: ServePlan, background: bool) -> Iterator[tuple[IO[bytes] | None, Path | None]]:
    if not background:
        yield None, None
        return
    path = plan.run_dir / CONSOLE_LOG_NAME
    with path.open("ab") as file:
        yield file, path


def _read_pids(fd: int, buffer: bytearray) -> list[int] | None:
    """Pids announced so far, or None at end of file (every holder of the write end is gone)."""
    try:
        chunk = os.read(fd, 4096)
    except BlockingIOError:
        return []
    if not chunk:
        return None
    buffer.extend(chunk)
    *lines, rest = buffer.split(b"\n")
    buffer[:] = rest
    return [int(line) for line in lines if line.strip().isdigit()]


def _wait_until_ready(server: RunningServer, ready_fd: int, deadline: float) -> None:
    plan = server.plan
    buffer = bytearray()
    booted: set[int] = set()
    # gunicorn's workers announce themselves once they have loaded the app; Flask's development
    # server is one process that announces itself once its signal handlers are in place.
    announcers = plan.workers if plan.profile.is_gunicorn else 1
    pipe_open = True
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            if server.signalled is not None:
                raise KeyboardInterrupt  # Ctrl-C (or TERM) while booting: the server has stopped
            raise server.failure(code)
        if not pipe_open:
            time.sleep(_POLL_S)  # every writer is gone: the exit code is what is left to see
        elif select.select([ready_fd], [], [], _POLL_S * 4)[0]:
            pids = _read_pids(ready_fd, buffer)
            if pids is None:
                pipe_open = False
            else:
                booted.update(pids)
        if len(booted) >= announcers:
            server.worker_pids = sorted(booted) if plan.profile.is_gunicorn else []
            break
    else:
        server.stop()
        raise SurgeError(
            f"the server did not become ready within {plan.options.boot_timeout_s:g}s"
            + (f" ({len(booted)} of {announcers} workers booted)" if plan.profile.is_gunicorn else "")
            + "; it was stopped"
        )
    if server.signalled is not None:
        # Signalled while booting: every worker has its handlers now, so the caller can stop them.
        raise KeyboardInterrupt


def preflight(plan: ServePlan, directory: Path, *, check_app: bool = True) -> None:
    """The checks that need no server: nothing running from this pidfile, the app imports, port free.

    ``check_app=False`` leaves the import to the server process (which reports a failure in its
    exit code): a caller that must not import the app itself (``surge tune``, whose load
    generator forks from it) has checked it in a process of its own.
    """
    running = live_master(plan.pidfile)
    if running is not None:
        raise SurgeError(
            f"a server is already running from {plan.pidfile} (master pid {running.pid});"
            " stop it with surge stop, or use another --run-dir"
        )
    if check_app:
        app: Any = load_app(plan.options.app, directory=directory)
        if not plan.profile.is_gunicorn and not callable(getattr(app, "run", None)):
            raise UsageError(f"--mode {plan.options.mode} needs a Flask app; {plan.options.app} has no run()")
    check_bind_free(plan.host, plan.port)


def start_server(
    plan: ServePlan, *, background: bool, directory: Path | None = None, check_app: bool = True
) -> RunningServer:
    """Validate, start the server process and return once every worker has loaded the app.

    ``background`` detaches it (own session, output to RUN_DIR/console.log) so it outlives us.
    ``check_app``: see preflight.
    """
    directory = directory or Path.cwd()
    preflight(plan, directory, check_app=check_app)
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    plan.pidfile.parent.mkdir(parents=True, exist_ok=True)
    if plan.log_dir is not None:
        plan.log_dir.mkdir(parents=True, exist_ok=True)
    plan.pidfile.unlink(missing_ok=True)  # stale: preflight found no process behind it
    boot_error_path(plan.pidfile).unlink(missing_ok=True)
    server_state(plan, directory).write(plan.state_file)

    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    env = {**os.environ, READY_FD_ENV: str(write_fd)}
    command = [sys.executable, "-m", "surge.serve.master", str(plan.state_file)]
    # SIGINT is blocked from before the fork until our handler is in place: the server inherits
    # the mask and unblocks it once it can take a Ctrl-C quietly (surge.serve.master.run), and a
    # Ctrl-C meanwhile is held for both processes, not lost.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with _console(plan, background) as (console, console_path):
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=console,
                pass_fds=(write_fd,),
                start_new_session=background,
                cwd=directory,
                env=env,
            )
        server = RunningServer(plan, process, console_log=console_path)
        # Until the server is ready (and for a foreground one until wait() returns), a signal to
        # us goes to the server too, so that no server is orphaned; a background server is in
        # its own session and sees no Ctrl-C of ours otherwise.
        server.forward_signals()
    finally:
        # Only the server keeps the write end, so the pipe reports EOF if it dies.
        os.close(write_fd)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        _wait_until_ready(server, read_fd, time.monotonic() + plan.options.boot_timeout_s)
    except KeyboardInterrupt:
        # A worker signalled while it was being forked, before gunicorn installs its handlers,
        # has lost the signal, and the master signals its workers only once: tell them again.
        control.signal_workers(server.master_pid, signal.SIGTERM)
        server.stop()
        server.restore_signals()
        raise
    except BaseException:
        server.restore_signals()
        raise
    finally:
        os.close(read_fd)
    if background:
        server.restore_signals()
    return server
