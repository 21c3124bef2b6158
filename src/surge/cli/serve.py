"""``surge serve MODULE:APP``: run a WSGI app under gunicorn (sync, gthread, gevent) or Flask's dev server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from surge.cli.declared import add_declared_options, given_values
from surge.errors import EXIT_OK
from surge.serve.options import DEFAULT_RUN_DIR, ServeOptions, ServePlan, plan_serve


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


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a WSGI app under gunicorn (sync/gthread/gevent) with logs and a pidfile",
        description="Serve MODULE:APP under gunicorn with production settings (or Flask's development "
        "server, for comparison). Checks that the app imports and the port is free before starting, "
        "and returns once every worker has booted (with --daemon) or when the server stops.",
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, for example surge.demo:app")
    # Every option is declared once, on ServeOptions' fields (default, parser, help).
    add_declared_options(parser, ServeOptions)
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the equivalent standalone gunicorn.conf.py and exit",
    )
    parser.set_defaults(handler=handle)


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """ServeOptions from what was given; the rest keeps the dataclass's defaults."""
    given = given_values(args, ServeOptions)
    environ_ips = os.environ.get("FORWARDED_ALLOW_IPS")
    if environ_ips is not None:  # as gunicorn: the environment's value, unless the option is given
        given.setdefault("forwarded_allow_ips", environ_ips)
    return ServeOptions(app=args.app, **given)


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
