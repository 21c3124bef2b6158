"""``surge serve MODULE:APP``: run a WSGI app under gunicorn (sync, gthread, gevent) or Flask's dev server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from surge.cli.argtypes import int_arg
from surge.errors import EXIT_OK
from surge.serve.options import (
    DEFAULT_ACCESS_LOG_FORMAT,
    DEFAULT_BIND,
    DEFAULT_FORWARDED_ALLOW_IPS,
    DEFAULT_LOG_BACKUPS,
    DEFAULT_RUN_DIR,
    LOG_LEVELS,
    ServeOptions,
    ServePlan,
    plan_serve,
)
from surge.serve.profiles import MODES, PROFILES
from surge.units import parse_duration_s, parse_size_bytes


def add_locator_options(parser: argparse.ArgumentParser) -> None:
    """--run-dir / --pidfile: how ps, scale, reload and stop find the server's pidfile."""
    parser.add_argument(
        "--run-dir",
        type=Path,
        metavar="DIR",
        help=f"run folder of the server (default ./{DEFAULT_RUN_DIR}); its pidfile is DIR/serve.pid",
    )
    parser.add_argument(
        "--pidfile", type=Path, metavar="PATH", help="pidfile of the server (overrides --run-dir)"
    )


def _workers(text: str) -> int | None:
    return None if text == "auto" else int_arg(text)


def register(subparsers: Any) -> None:
    modes_help = "; ".join(f"{p.mode}: {p.summary}" for p in PROFILES.values())
    parser = subparsers.add_parser(
        "serve",
        help="serve a WSGI app under gunicorn (sync/gthread/gevent) with logs and a pidfile",
        description="Serve MODULE:APP under gunicorn with production settings (or Flask's development "
        "server, for comparison). Checks that the app imports and the port is free before starting, "
        "and returns once every worker has booted (with --daemon) or when the server stops.",
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, for example surge.demo:app")
    parser.add_argument(
        "--mode", choices=MODES, default="sync", help=f"how requests are served. {modes_help}"
    )
    parser.add_argument(
        "-w",
        "--workers",
        type=_workers,
        default=None,
        metavar="N|auto",
        help="worker processes (default auto: 2 x cores + 1)",
    )
    parser.add_argument(
        "--threads",
        type=int_arg,
        metavar="N",
        help=f"threads per worker, gthread only (default {PROFILES['gthread'].default_threads})",
    )
    parser.add_argument(
        "--worker-connections",
        type=int_arg,
        metavar="N",
        help="simultaneous clients per worker, gevent and gthread"
        f" (default {PROFILES['gevent'].default_worker_connections})",
    )
    parser.add_argument(
        "--timeout",
        default="30s",
        metavar="DURATION",
        help="kill and replace a worker silent this long (default 30s)",
    )
    parser.add_argument(
        "--graceful-timeout",
        default="30s",
        metavar="DURATION",
        help="time workers get to finish requests on stop/reload (default 30s)",
    )
    parser.add_argument(
        "--keepalive",
        default="2s",
        metavar="DURATION",
        help="wait this long for the next request on a connection (default 2s)",
    )
    parser.add_argument(
        "--max-requests",
        type=int_arg,
        default=0,
        metavar="N",
        help="restart each worker after about N requests (default 0: never)",
    )
    parser.add_argument(
        "--max-requests-jitter",
        type=int_arg,
        metavar="N",
        help="up to N extra requests per worker so they do not restart together (default N/10)",
    )
    parser.add_argument("--preload", action="store_true", help="import the app in the master before forking")
    parser.add_argument(
        "-b",
        "--bind",
        default=DEFAULT_BIND,
        metavar="HOST:PORT",
        help=f"address to listen on (default {DEFAULT_BIND})",
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart workers when code changes (development only)"
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS),
        metavar="IPS",
        help="proxies trusted for X-Forwarded-* (comma-separated, * for any)",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        metavar="DIR",
        help="write access.log and error.log here, rotated by size (default with --daemon: "
        "RUN_DIR/logs; otherwise the error log goes to stderr)",
    )
    parser.add_argument(
        "--log-max-size", default="10MB", metavar="SIZE", help="rotate a log file at this size (default 10MB)"
    )
    parser.add_argument(
        "--log-backups",
        type=int_arg,
        default=DEFAULT_LOG_BACKUPS,
        metavar="N",
        help=f"rotated files kept per log (default {DEFAULT_LOG_BACKUPS})",
    )
    parser.add_argument(
        "--access-log-format",
        default=DEFAULT_ACCESS_LOG_FORMAT,
        metavar="FORMAT",
        help="gunicorn access log format; %%(client)s is the client from X-Forwarded-For "
        "when the peer is a trusted proxy (default: combined format with %%(client)s)",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="error log level")
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=DEFAULT_RUN_DIR,
        metavar="DIR",
        help=f"folder for the pidfile and state (default ./{DEFAULT_RUN_DIR})",
    )
    parser.add_argument(
        "--pidfile", type=Path, metavar="PATH", help="pidfile path (default RUN_DIR/serve.pid)"
    )
    parser.add_argument(
        "-D",
        "--daemon",
        action="store_true",
        help="run in the background; returns once the workers have booted",
    )
    parser.add_argument(
        "--boot-timeout",
        default="60s",
        metavar="DURATION",
        help="give up if the workers have not booted after this long (default 60s)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the equivalent standalone gunicorn.conf.py and exit",
    )
    parser.set_defaults(handler=handle)


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    return ServeOptions(
        app=args.app,
        mode=args.mode,
        workers=args.workers,
        threads=args.threads,
        worker_connections=args.worker_connections,
        timeout_s=parse_duration_s(args.timeout),
        graceful_timeout_s=parse_duration_s(args.graceful_timeout),
        keepalive_s=parse_duration_s(args.keepalive),
        max_requests=args.max_requests,
        max_requests_jitter=args.max_requests_jitter,
        preload=args.preload,
        bind=args.bind,
        reload=args.reload,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_dir=args.log_dir,
        log_max_bytes=parse_size_bytes(args.log_max_size),
        log_backups=args.log_backups,
        access_log_format=args.access_log_format,
        log_level=args.log_level,
        run_dir=args.run_dir,
        pidfile=args.pidfile,
        daemon=args.daemon,
        boot_timeout_s=parse_duration_s(args.boot_timeout),
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def describe(plan: ServePlan) -> str:
    """The line that says what is being started, before it starts."""
    opts = plan.options
    if plan.profile.is_gunicorn:
        per_worker = ""
        if plan.threads:
            per_worker = f" x {plan.threads} threads"
        elif plan.worker_connections and opts.mode == "gevent":
            per_worker = f" x {plan.worker_connections} connections"
        noun = "worker" if plan.workers == 1 else "workers"
        sizing = f"{plan.workers} {noun}{per_worker} ({plan.workers_reason})"
    elif opts.mode == "flask-processes":
        sizing = f"up to {plan.workers} request processes ({plan.workers_reason})"
    else:
        sizing = "one thread per request"
    return f"surge serve: {opts.app} on {plan.url} --mode {opts.mode}: {sizing}"


def handle(args: argparse.Namespace) -> int:
    from surge.serve.conffile import render_config
    from surge.serve.launch import preflight, start_server

    plan = plan_serve(options_from_args(args))
    if args.print_config:
        sys.stdout.write(render_config(plan))
        return EXIT_OK
    preflight(plan, Path.cwd())
    for note in plan.notes:
        print(f"surge serve: {note}", file=sys.stderr)
    print(describe(plan), flush=True)
    server = start_server(plan, background=plan.options.daemon)
    workers = " ".join(str(pid) for pid in server.worker_pids)
    print(f"  master pid {server.master_pid}" + (f", workers {workers}" if workers else ""))
    print(f"  pidfile {_shown(plan.pidfile)}")
    if plan.log_dir is not None:
        print(f"  logs {_shown(plan.log_dir)}/access.log and error.log")
    if plan.options.daemon:
        # What the control commands need to find this server, when their defaults would not.
        if args.pidfile is not None:
            locator = f" --pidfile {_shown(plan.pidfile)}"
        elif plan.run_dir != (Path.cwd() / DEFAULT_RUN_DIR).resolve():
            locator = f" --run-dir {_shown(plan.run_dir)}"
        else:
            locator = ""
        print(f"  running in the background: surge ps{locator} / surge stop{locator}", flush=True)
        return EXIT_OK
    print("  ready; Ctrl-C stops it", flush=True)
    code = server.wait()
    print("surge serve: stopped", flush=True)
    return code
