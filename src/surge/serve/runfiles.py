"""The run folder: the state file that describes a started server, the pidfile, and finding the master."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surge.errors import SurgeError, UsageError
from surge.serve.options import DEFAULT_RUN_DIR, PIDFILE_NAME, state_path

if TYPE_CHECKING:
    import psutil

CONSOLE_LOG_NAME = "console.log"
BOOT_ERROR_SUFFIX = ".boot-error"
STATE_VERSION = 1
# Command-line fragments that identify a master this code (or plain gunicorn) started, so a pid
# recycled by an unrelated process after a crash is never signalled.
_MASTER_MARKERS = ("surge.serve.master", "gunicorn")
# gunicorn and surge write the pid in decimal and a newline; a pid is at most 2**31 - 1 anywhere.
_PID_TEXT = re.compile(rb"\s*([1-9][0-9]{0,9})\s*")
_PID_MAX = 2**31 - 1
_PIDFILE_MAX_BYTES = 64


@dataclass(frozen=True)
class ServerState:
    """What the server process needs to start, and what ps/scale/reload/stop need to know later."""

    app: str
    mode: str
    url: str
    host: str
    port: int
    workers: int
    graceful_timeout_s: float
    pidfile: str
    directory: str
    preload: bool
    settings: dict[str, Any] = field(default_factory=dict)
    log_dir: str | None = None
    log_max_bytes: int = 0
    log_backups: int = 0
    log_level: str = "info"
    version: int = STATE_VERSION

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> ServerState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise SurgeError(f"no server state file at {path}") from None
        except (ValueError, TypeError) as exc:
            raise SurgeError(f"unreadable server state file {path}: {exc}") from exc


def locate_pidfile(run_dir: Path | None, pidfile: Path | None) -> Path:
    """The pidfile the control commands use: --pidfile, else RUN_DIR/serve.pid (default ./surge-run)."""
    if pidfile is not None:
        return pidfile.resolve()
    return ((run_dir or DEFAULT_RUN_DIR) / PIDFILE_NAME).resolve()


def boot_error_path(pidfile: Path) -> Path:
    """Where a worker that cannot load the app writes the reason, for the launcher to report."""
    return pidfile.with_suffix(BOOT_ERROR_SUFFIX)


def _preview(data: bytes) -> str:
    """The first bytes of a file, printable on one line whatever they are (bytes' repr, no b)."""
    shown = repr(data[:40])[1:]
    return shown if len(data) <= 40 else f"{shown}..."


def not_a_pidfile(pidfile: Path, why: str) -> UsageError:
    return UsageError(
        f"not a pidfile written by surge serve: {pidfile} {why}"
        " (check --pidfile / --run-dir; remove the file if it is left over)"
    )


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile``, None if there is no such file; anything but a pid is a UsageError."""
    try:
        mode = pidfile.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SurgeError(f"cannot read pidfile {pidfile}: {exc.strerror}") from exc
    if not stat.S_ISREG(mode):
        # A folder, a FIFO (reading one would block) or a device is never a pidfile.
        raise not_a_pidfile(pidfile, "is not a regular file")
    try:
        with pidfile.open("rb") as file:
            data = file.read(_PIDFILE_MAX_BYTES + 1)
    except FileNotFoundError:
        return None  # removed since the stat: the server has just stopped
    except OSError as exc:
        raise SurgeError(f"cannot read pidfile {pidfile}: {exc.strerror}") from exc
    match = _PID_TEXT.fullmatch(data)
    if len(data) > _PIDFILE_MAX_BYTES or match is None or int(match.group(1)) > _PID_MAX:
        what = "is empty" if not data else f"holds {_preview(data)}, not a process id"
        raise not_a_pidfile(pidfile, what)
    return int(match.group(1))


def write_pid(pidfile: Path, pid: int) -> None:
    """Write ``pid`` as gunicorn does: whole or not at all (a reader never sees an empty file)."""
    tmp = pidfile.with_name(f".{pidfile.name}.{pid}.tmp")
    tmp.write_text(f"{pid}\n", encoding="ascii")
    os.replace(tmp, pidfile)


def is_alive(process: psutil.Process) -> bool:
    """Running and not a zombie (an exited child that nobody has reaped yet counts as gone)."""
    import psutil

    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _looks_like_master(process: psutil.Process) -> bool:
    import psutil

    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return False
    return any(marker in command for marker in _MASTER_MARKERS)


def live_master(pidfile: Path) -> psutil.Process | None:
    """The master process named by ``pidfile``, or None when there is no pidfile or it is stale."""
    # psutil is imported where a process is looked at, not with this module: the launcher and the
    # server's master import this module for its paths, and every surge command would pay for it.
    import psutil

    pid = read_pid(pidfile)
    if pid is None:
        return None
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
    if not is_alive(process) or not _looks_like_master(process):
        return None
    return process


def require_master(pidfile: Path) -> psutil.Process:
    """Like live_master, but a missing server is an error that says where surge looked."""
    master = live_master(pidfile)
    if master is not None:
        return master
    pid = read_pid(pidfile)
    if pid is None:
        raise UsageError(
            f"no server running: no pidfile at {pidfile} (use --run-dir or --pidfile to point at it)"
        )
    if _exists(pid):
        raise SurgeError(
            f"no server running: pidfile {pidfile} is stale (pid {pid} is not a surge or gunicorn master)"
        )
    raise SurgeError(f"no server running: pidfile {pidfile} is stale (its process is gone)")


def _exists(pid: int) -> bool:
    import psutil

    try:
        return is_alive(psutil.Process(pid))
    except psutil.Error:
        return False


def workers_of(master: psutil.Process) -> list[psutil.Process]:
    """The master's live child processes, oldest first."""
    import psutil

    try:
        children = master.children()
    except psutil.Error:
        return []
    alive = [child for child in children if is_alive(child)]
    return sorted(alive, key=_create_time)


def _create_time(process: psutil.Process) -> float:
    import psutil

    try:
        return float(process.create_time())
    except psutil.Error:
        return 0.0


def read_state_if_any(pidfile: Path) -> ServerState | None:
    path = state_path(pidfile)
    if not path.exists():
        return None
    try:
        return ServerState.read(path)
    except SurgeError:
        return None
