"""``surge scale N|+N|-N``: set, raise or lower the served app's gunicorn workers (TTIN / TTOU)."""

from __future__ import annotations

import argparse
from typing import Any

from surge.cli.serve import add_locator_options
from surge.errors import EXIT_OK, UsageError
from surge.serve.control import WorkerCount, parse_worker_count, scale
from surge.serve.runfiles import locate_pidfile


def _worker_count(text: str) -> WorkerCount:
    try:
        return parse_worker_count(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scale",
        help="set the served app's workers to N, or add (+N) or remove (-N) some (TTIN / TTOU)",
        description="Change the number of workers of a running gunicorn master with its own signals: "
        "TTIN adds one worker, TTOU retires the oldest one. N sets the count (surge scale 2: two "
        "workers, as docker and kubectl scale); +N and -N change it by N. Waits until each change is "
        "visible, and records the count so that a reload keeps it.",
    )
    parser.add_argument(
        "count",
        type=_worker_count,
        metavar="N|+N|-N",
        help="N: run N workers; +N: add N; -N: remove N (at least 1 worker remains)",
    )
    add_locator_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    report = scale(locate_pidfile(args.run_dir, args.pidfile), args.count)
    if report.before == report.after:
        print(f"surge scale: already {report.after} workers")
        return EXIT_OK
    retiring = f" ({report.retiring} retired still finishing requests)" if report.retiring else ""
    print(f"surge scale: workers {report.before} -> {report.after}{retiring}")
    return EXIT_OK
