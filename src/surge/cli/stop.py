"""``surge stop``: stop a served app gracefully (TERM), killing it only after the graceful timeout."""

from __future__ import annotations

import argparse
from typing import Any

from surge.cli.serve import add_locator_options
from surge.errors import EXIT_OK
from surge.serve.control import STOP_MARGIN_S, stop_server
from surge.serve.runfiles import locate_pidfile
from surge.units import parse_duration_s


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stop",
        help="stop the served app (TERM; KILL only after the graceful timeout)",
        description="Send TERM to the master: workers finish their requests and exit. If the master "
        "is still running after the graceful timeout (plus a margin), KILL it and its workers, and say so.",
    )
    add_locator_options(parser)
    parser.add_argument(
        "--timeout",
        metavar="DURATION",
        help=f"wait this long before KILL (default: its graceful timeout + {STOP_MARGIN_S:g}s)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    pidfile = locate_pidfile(args.run_dir, args.pidfile)
    timeout_s = parse_duration_s(args.timeout) if args.timeout else None
    report = stop_server(pidfile, timeout_s=timeout_s)
    if report.graceful:
        print(f"surge stop: stopped (master pid {report.master_pid}) in {report.waited_s:.1f}s")
    else:
        pids = " ".join(str(pid) for pid in report.killed_pids)
        print(
            f"surge stop: the server did not exit after TERM within the graceful timeout; sent KILL to {pids}"
        )
    return EXIT_OK
