"""The gunicorn settings for a ServePlan, declared as data: (name, value, why) rows.

The same rows feed the in-process gunicorn application (surge.serve.application) and the
standalone gunicorn.conf.py (surge.serve.conffile), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surge.serve.options import ServePlan, whole_seconds

HANDLER_CLASS = "surge.serve.standalone.SharedRotatingFileHandler"
LOGGER_CLASS = "surge.serve.standalone.ForwardedLogger"
QUIT_ONCE_HOOK = "surge.serve.standalone.quit_once"
_LOG_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
_LOG_DATEFMT = "[%Y-%m-%d %H:%M:%S %z]"


@dataclass(frozen=True)
class Setting:
    """One gunicorn setting: its name in gunicorn's config, its value, and why it has that value."""

    name: str
    value: Any
    why: str


def logconfig_dict(plan: ServePlan) -> dict[str, Any]:
    """logging.config.dictConfig for size-rotated access and error logs in the plan's log folder."""
    assert plan.access_log is not None and plan.error_log is not None
    opts = plan.options

    def rotating(path: str) -> dict[str, Any]:
        return {
            "()": HANDLER_CLASS,
            "formatter": "generic" if path == str(plan.error_log) else "access",
            "filename": path,
            "maxBytes": opts.log_max_bytes,
            "backupCount": opts.log_backups,
        }

    return {
        "version": 1,
        "disable_existing_loggers": False,
        # The app's own logging (the root logger) goes to the error log too, not to a lost stdout.
        "root": {"level": "INFO", "handlers": ["error_file"]},
        "loggers": {
            "gunicorn.error": {
                "level": opts.log_level.upper(),
                "handlers": ["error_file"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "INFO", "handlers": ["access_file"], "propagate": False},
        },
        "handlers": {
            "error_file": rotating(str(plan.error_log)),
            "access_file": rotating(str(plan.access_log)),
        },
        "formatters": {
            "generic": {"format": _LOG_FORMAT, "datefmt": _LOG_DATEFMT},
            "access": {"format": "%(message)s"},
        },
    }


def gunicorn_settings(plan: ServePlan, *, standalone: bool = False) -> list[Setting]:
    """The settings rows; ``standalone`` (a file for plain gunicorn) adds wsgi_app and daemon."""
    opts = plan.options
    profile = plan.profile
    assert profile.worker_class is not None, "Flask's development server has no gunicorn settings"
    rows: list[Setting] = []

    def add(name: str, value: Any, why: str) -> None:
        rows.append(Setting(name, value, why))

    if standalone:
        add("wsgi_app", opts.app, "the app to serve; a MODULE:APP on gunicorn's command line overrides it")
    add(
        "bind",
        [plan.address],
        "loopback only unless asked: a server is not exposed by accident",
    )
    add("worker_class", profile.worker_class, f"--mode {profile.mode}: {profile.summary}")
    add("workers", plan.workers, f"worker processes ({plan.workers_reason})")
    if plan.threads is not None:
        add("threads", plan.threads, "threads per worker: requests in flight per process")
    if plan.worker_connections is not None:
        add("worker_connections", plan.worker_connections, "most simultaneous clients per worker")
    add(
        "timeout",
        whole_seconds(opts.timeout_s, "--timeout", minimum=0),
        "seconds a worker may be silent before the master kills and replaces it",
    )
    add(
        "graceful_timeout",
        whole_seconds(opts.graceful_timeout_s, "--graceful-timeout", minimum=0),
        "seconds workers get to finish requests after TERM or HUP, then they are killed",
    )
    add(
        "keepalive",
        whole_seconds(opts.keepalive_s, "--keepalive", minimum=0),
        "seconds to wait for the next request on a keep-alive connection",
    )
    add("max_requests", opts.max_requests, "restart a worker after this many requests (0 = never)")
    add(
        "max_requests_jitter",
        plan.max_requests_jitter,
        "random extra requests per worker so workers do not all restart at once",
    )
    add("preload_app", opts.preload, "import the app once in the master before forking workers")
    add("reload", opts.reload, "restart workers when code changes (development only)")
    add(
        "forwarded_allow_ips",
        opts.forwarded_allow_ips,
        "proxies trusted to set X-Forwarded-* headers (also used for the access log's client)",
    )
    add("pidfile", str(plan.pidfile), "surge ps / scale / reload / stop find the master through it")
    if standalone:
        add("daemon", opts.daemon, "run in the background")
    add("proc_name", f"surge:{opts.app}", "names the processes in ps and top")
    add(
        "post_fork",
        QUIT_ONCE_HOOK,
        "a worker acts on its first Ctrl-C (INT) or QUIT only, without a traceback (a terminal"
        " signals the master and the workers alike); sync and gthread workers finish their requests",
    )
    add(
        "control_socket_disable",
        True,
        "surge controls the server with signals through the pidfile; gunicorn's per-user default"
        " control socket path would be shared by every server of this user",
    )
    add("loglevel", opts.log_level, "error log level")
    add("logger_class", LOGGER_CLASS, "gunicorn's logger plus a %(client)s access-log atom")
    add(
        "access_log_format",
        opts.access_log_format,
        "%(client)s is X-Forwarded-For's client when the peer is a trusted proxy, else the peer",
    )
    if plan.log_dir is not None:
        add("errorlog", "-", "the handlers in logconfig_dict write the files")
        add(
            "logconfig_dict",
            logconfig_dict(plan),
            f"access.log and error.log in {plan.log_dir}, rotated at {opts.log_max_bytes} bytes,"
            f" {opts.log_backups} old files kept",
        )
    else:
        add("errorlog", "-", "error log to stderr (no --log-dir given)")
    return rows


def settings_dict(rows: list[Setting]) -> dict[str, Any]:
    return {row.name: row.value for row in rows}
