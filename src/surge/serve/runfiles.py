"""The run folder: the state file that describes a started server, the pidfile, and finding the master."""

from __future__ import annotations

import json
import os
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


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SurgeError(f"cannot read pidfile {pidfile}: {exc.strerror}") from exc
    if not text.isdigit():
        raise SurgeError(f"pidfile {pidfile} does not hold a pid: {text[:40]!r}")
    return int(text)


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
    if not pidfile.exists():
        raise UsageError(
            f"no server running: no pidfile at {pidfile} (use --run-dir or --pidfile to point at it)"
        )
    raise SurgeError(f"no server running: pidfile {pidfile} is stale (its process is gone)")


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
