"""``surge reload``: replace every worker of the served app with a new one running new code (HUP)."""

from __future__ import annotations

import argparse
from typing import Any

from surge.cli.serve import add_locator_options
from surge.errors import EXIT_FAILURE, EXIT_OK
from surge.serve.control import STOP_MARGIN_S, reload
from surge.serve.runfiles import locate_pidfile
from surge.units import parse_duration_s


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reload",
        help="restart the served app's workers gracefully with new code (HUP)",
        description="Send HUP to the master: gunicorn re-reads its configuration, starts new workers "
        "(which import the app again, so code changes take effect) and gracefully retires the old ones.",
    )
    add_locator_options(parser)
    parser.add_argument(
        "--timeout",
        metavar="DURATION",
        help=f"how long to wait for the old workers to go (default: graceful timeout + {STOP_MARGIN_S:g}s)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    timeout_s = parse_duration_s(args.timeout) if args.timeout else None
    report = reload(locate_pidfile(args.run_dir, args.pidfile), timeout_s=timeout_s)
    new = " ".join(str(pid) for pid in report.new_pids)
    if not report.complete:
        print(f"surge reload: old workers still running at the deadline; new workers so far: {new or 'none'}")
        return EXIT_FAILURE
    print(f"surge reload: {len(report.old_pids)} workers replaced by {len(report.new_pids)} new ones ({new})")
    return EXIT_OK
