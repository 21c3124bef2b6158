"""``surge ps``: show a served app's master and workers with pid, age, CPU % and memory."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from surge.cli.serve import add_locator_options
from surge.errors import EXIT_OK
from surge.serve.runfiles import locate_pidfile
from surge.units import parse_duration_s


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ps",
        help="show the served app's master and workers (pid, age, CPU %%, memory)",
        description="Show the master started by surge serve and its workers as a tree, found through "
        "the pidfile, with each process's age, CPU % (of one core, sampled) and resident memory.",
    )
    add_locator_options(parser)
    parser.add_argument(
        "--interval", default="250ms", metavar="DURATION", help="CPU sampling time (default 250ms)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from surge.serve.status import format_tree, server_status  # psutil: only when ps runs

    pidfile = locate_pidfile(args.run_dir, args.pidfile)
    status = server_status(pidfile, interval_s=parse_duration_s(args.interval))
    if args.json:
        data = {
            "pidfile": str(status.pidfile),
            "master": asdict(status.master),
            "workers": [asdict(w) for w in status.workers],
            "app": status.state.app if status.state else None,
            "mode": status.state.mode if status.state else None,
            "url": status.state.url if status.state else None,
        }
        print(json.dumps(data, indent=2))
    else:
        print(format_tree(status))
    return EXIT_OK
