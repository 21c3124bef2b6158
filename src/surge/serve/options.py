"""What the user asked ``surge serve`` for (ServeOptions) and the resolved, validated plan (ServePlan)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from surge.errors import UsageError
from surge.optionspec import option
from surge.serve.profiles import MODES, PROFILES, Profile
from surge.units import format_duration_s, parse_duration_s, parse_size_bytes

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"
DEFAULT_RUN_DIR = Path("surge-run")
PIDFILE_NAME = "serve.pid"
LOG_DIR_NAME = "logs"
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_BACKUPS = 5
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Combined log format, but the first field is the real client (X-Forwarded-For from a trusted
# proxy, see surge.serve.standalone.client_address) and the request duration in µs ends the line.
DEFAULT_ACCESS_LOG_FORMAT = '%(client)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus'
# A server bound to every address is reached from this machine through loopback.
_LOOPBACK_FOR_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def _workers(text: str) -> int | None:
    return None if text == "auto" else int(text)


def _duration(default_s: float) -> str:
    return format_duration_s(default_s)


def _size(count: int) -> str:
    return f"{count // 1024**2}MB" if count % 1024**2 == 0 else f"{count}B"


@dataclass(frozen=True)
class ServeOptions:
    """Everything ``surge serve`` accepts, each option declared once (``surge.optionspec``).

    None means "the mode's default". ``surge serve``'s command line is generated from these
    fields (``surge.cli.declared``); ``app`` is its positional argument.
    """

    app: str
    mode: str = option(
        "sync",
        "--mode",
        help="how requests are served (default {default}). "
        + "; ".join(f"{p.mode}: {p.summary}" for p in PROFILES.values()),
        choices=MODES,
    )
    workers: int | None = option(
        None,
        "-w",
        "--workers",
        help="worker processes (default auto: 2 x cores + 1)",
        metavar="N|auto",
        parse=_workers,
    )
    threads: int | None = option(
        None,
        "--threads",
        help=f"threads per worker, gthread only (default {PROFILES['gthread'].default_threads})",
        metavar="N",
        parse=int,
    )
    worker_connections: int | None = option(
        None,
        "--worker-connections",
        help="simultaneous clients per worker, gevent and gthread"
        f" (default {PROFILES['gevent'].default_worker_connections})",
        metavar="N",
        parse=int,
    )
    timeout_s: float = option(
        30.0,
        "--timeout",
        help="kill and replace a worker silent this long (default {default})",
        metavar="DURATION",
        parse=parse_duration_s,
        show=_duration,
    )
    graceful_timeout_s: float = option(
        30.0,
        "--graceful-timeout",
        help="time workers get to finish requests on stop/reload (default {default})",
        metavar="DURATION",
        parse=parse_duration_s,
        show=_duration,
    )
    keepalive_s: float = option(
        2.0,
        "--keepalive",
        help="wait this long for the next request on a connection (default {default})",
        metavar="DURATION",
        parse=parse_duration_s,
        show=_duration,
    )
    max_requests: int = option(
        0,
        "--max-requests",
        help="restart each worker after about N requests (default {default}: never)",
        metavar="N",
        parse=int,
    )
    max_requests_jitter: int | None = option(
        None,
        "--max-requests-jitter",
        help="up to N extra requests per worker so they do not restart together (default N/10)",
        metavar="N",
        parse=int,
    )
    preload: bool = option(False, "--preload", help="import the app in the master before forking", flag=True)
    bind: str = option(
        DEFAULT_BIND, "-b", "--bind", help="address to listen on (default {default})", metavar="HOST:PORT"
    )
    reload: bool = option(
        False, "--reload", help="restart workers when code changes (development only)", flag=True
    )
    forwarded_allow_ips: str = option(
        DEFAULT_FORWARDED_ALLOW_IPS,
        "--forwarded-allow-ips",
        help="proxies trusted for X-Forwarded-* (comma-separated, * for any; default {default}, "
        "or $FORWARDED_ALLOW_IPS as gunicorn reads it)",
        metavar="IPS",
    )
    log_dir: Path | None = option(
        None,
        "--log-dir",
        help="write access.log and error.log here, rotated by size (default with --daemon: "
        "RUN_DIR/logs; otherwise the error log goes to stderr)",
        metavar="DIR",
        parse=Path,
    )
    log_max_bytes: int = option(
        DEFAULT_LOG_MAX_BYTES,
        "--log-max-size",
        help="rotate a log file at this size (default {default})",
        metavar="SIZE",
        parse=parse_size_bytes,
        show=_size,
    )
    log_backups: int = option(
        DEFAULT_LOG_BACKUPS,
        "--log-backups",
        help="rotated files kept per log (default {default})",
        metavar="N",
        parse=int,
    )
    access_log_format: str = option(
        DEFAULT_ACCESS_LOG_FORMAT,
        "--access-log-format",
        help="gunicorn access log format; %(client)s is the client from X-Forwarded-For "
        "when the peer is a trusted proxy (default: combined format with %(client)s)",
        metavar="FORMAT",
    )
    log_level: str = option(
        "info", "--log-level", help="error log level (default {default})", choices=LOG_LEVELS
    )
    run_dir: Path = option(
        DEFAULT_RUN_DIR,
        "--run-dir",
        help="folder for the pidfile and state (default ./{default})",
        metavar="DIR",
        parse=Path,
    )
    pidfile: Path | None = option(
        None, "--pidfile", help="pidfile path (default RUN_DIR/serve.pid)", metavar="PATH", parse=Path
    )
    daemon: bool = option(
        False, "-D", "--daemon", help="run in the background; returns once the workers have booted", flag=True
    )
    boot_timeout_s: float = option(
        60.0,
        "--boot-timeout",
        help="give up if the workers have not booted after this long (default {default})",
        metavar="DURATION",
        parse=parse_duration_s,
        show=_duration,
    )


@dataclass(frozen=True)
class ServePlan:
    """Resolved options: absolute paths, worker count with its reasoning, and notes for the user."""

    options: ServeOptions
    profile: Profile
    host: str
    port: int
    workers: int
    workers_reason: str
    threads: int | None
    worker_connections: int | None
    max_requests_jitter: int
    run_dir: Path
    pidfile: Path
    state_file: Path
    log_dir: Path | None
    notes: tuple[str, ...] = field(default=())

    @property
    def address(self) -> str:
        """HOST:PORT as gunicorn binds it."""
        return host_port(self.host, self.port)

    @property
    def url(self) -> str:
        """Where a client on this machine reaches the server: loopback when it binds every address."""
        return f"http://{host_port(_LOOPBACK_FOR_WILDCARD.get(self.host, self.host), self.port)}"

    @property
    def access_log(self) -> Path | None:
        return self.log_dir / "access.log" if self.log_dir else None

    @property
    def error_log(self) -> Path | None:
        return self.log_dir / "error.log" if self.log_dir else None


def host_port(host: str, port: int) -> str:
    """``HOST:PORT``, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def state_path(pidfile: Path) -> Path:
    """The state file beside a pidfile (serve.pid -> serve.json), written by the launcher, read by control."""
    return pidfile.with_suffix(".json")


def parse_bind(bind: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` or ``[IPv6]:PORT`` into host and port."""
    text = bind.strip()
    if text.startswith("unix:"):
        raise UsageError("unix sockets are not supported by surge serve; bind to HOST:PORT")
    if text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
    else:
        host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise UsageError(f"invalid --bind {bind!r} (expected HOST:PORT, for example 127.0.0.1:8000)")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise UsageError(f"invalid port {port} in --bind {bind!r} (1-65535)")
    return host, port


def auto_workers(cpu_count: int) -> tuple[int, str]:
    """gunicorn's rule of thumb: 2 x cores + 1, so a core has a second worker ready while one waits."""
    cores = max(1, cpu_count)
    return 2 * cores + 1, f"auto: 2 x {cores} cores + 1"


def whole_seconds(value_s: float, name: str, *, minimum: int) -> int:
    """gunicorn takes whole seconds; round up so a 0.5s timeout does not become no timeout."""
    if not math.isfinite(value_s) or value_s < 0:
        raise UsageError(f"{name} must be a non-negative duration")
    return max(minimum, math.ceil(value_s))


def _positive(value: int | None, name: str) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{name} must be at least 1, got {value}")


def plan_serve(options: ServeOptions, *, cpu_count: int | None = None, cwd: Path | None = None) -> ServePlan:
    """Validate ``options`` and resolve defaults; pure apart from reading the CPU count."""
    if options.mode not in PROFILES:
        raise UsageError(f"unknown mode {options.mode!r} (choose from {', '.join(MODES)})")
    if ":" not in options.app or options.app.startswith(":") or options.app.endswith(":"):
        raise UsageError(f"expected MODULE:APP, got {options.app!r} (for example surge.demo:app)")
    profile = PROFILES[options.mode]
    host, port = parse_bind(options.bind)
    for name, value in (
        ("--workers", options.workers),
        ("--threads", options.threads),
        ("--worker-connections", options.worker_connections),
    ):
        _positive(value, name)
    if options.max_requests < 0:
        raise UsageError("--max-requests must be 0 (off) or more")
    if options.max_requests_jitter is not None and options.max_requests_jitter < 0:
        raise UsageError("--max-requests-jitter must be 0 or more")
    if options.log_max_bytes < 1024:
        raise UsageError("--log-max-size must be at least 1KB")
    if options.log_backups < 1:
        raise UsageError("--log-backups must be at least 1 (rotation keeps that many old files)")
    if options.log_level not in LOG_LEVELS:
        raise UsageError(f"unknown log level {options.log_level!r} (choose from {', '.join(LOG_LEVELS)})")
    whole_seconds(options.timeout_s, "--timeout", minimum=0)
    whole_seconds(options.graceful_timeout_s, "--graceful-timeout", minimum=0)
    whole_seconds(options.keepalive_s, "--keepalive", minimum=0)
    if options.boot_timeout_s <= 0:
        raise UsageError("--boot-timeout must be positive")

    notes: list[str] = []
    if options.workers is None:
        workers, reason = auto_workers(cpu_count if cpu_count is not None else (os.cpu_count() or 1))
    else:
        workers, reason = options.workers, "from --workers"
    threads = options.threads
    connections = options.worker_connections
    if options.mode == "gthread":
        threads = threads or profile.default_threads
    elif threads is not None:
        raise UsageError("--threads applies to --mode gthread only")
    if options.mode in ("gevent", "gthread"):
        connections = connections or profile.default_worker_connections
    elif connections is not None:
        raise UsageError("--worker-connections applies to --mode gevent and gthread only")
    jitter = options.max_requests_jitter
    if jitter is None:
        # Without jitter every worker reaches max_requests together and they all restart at once.
        jitter = options.max_requests // 10 if options.max_requests else 0

    if host in _LOOPBACK_FOR_WILDCARD:
        notes.append(
            f"warning: binding to {host} accepts connections from other machines;"
            " use 127.0.0.1 unless this is what you want"
        )
    if options.reload:
        notes.append("warning: --reload restarts workers when code changes: for development only")
    if not profile.is_gunicorn:
        notes.append(
            f"warning: --mode {options.mode} is Flask's development server, for comparison only;"
            " it is not for production (use sync, gthread or gevent)"
        )
        if options.preload or options.max_requests:
            raise UsageError("--preload and --max-requests apply to gunicorn modes only")
    if options.mode == "gevent" and options.preload:
        notes.append(
            "note: --preload with gevent imports the app in the master, so surge monkey-patches the"
            " master first (as gunicorn's docs advise for preloaded gevent apps)"
        )

    base = cwd or Path.cwd()
    run_dir = (base / options.run_dir).resolve()
    pidfile = (base / options.pidfile).resolve() if options.pidfile else run_dir / PIDFILE_NAME
    log_dir = options.log_dir
    if log_dir is None and options.daemon:
        # A daemon has no terminal to log to: default to files in the run folder.
        log_dir = run_dir / LOG_DIR_NAME
    return ServePlan(
        options=options,
        profile=profile,
        host=host,
        port=port,
        workers=workers,
        workers_reason=reason,
        threads=threads,
        worker_connections=connections,
        max_requests_jitter=jitter,
        run_dir=run_dir,
        pidfile=pidfile,
        state_file=state_path(pidfile),
        log_dir=(base / log_dir).resolve() if log_dir else None,
        notes=tuple(notes),
    )
