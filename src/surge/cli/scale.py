"""``surge scale +N|-N``: add or remove gunicorn workers at run time (TTIN / TTOU)."""

from __future__ import annotations

import argparse
from typing import Any

from surge.cli.serve import add_locator_options
from surge.errors import EXIT_OK
from surge.serve.control import scale
from surge.serve.runfiles import locate_pidfile


def _delta(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected +N or -N, got {text!r}") from exc
    if value == 0:
        raise argparse.ArgumentTypeError("expected +N or -N, not 0")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scale",
        help="add (+N) or remove (-N) workers of the served app (TTIN / TTOU)",
        description="Change the number of workers of a running gunicorn master with its own signals: "
        "TTIN adds one worker, TTOU retires the oldest one. Waits until each change is visible.",
    )
    parser.add_argument("delta", type=_delta, metavar="+N|-N", help="workers to add (+N) or remove (-N)")
    add_locator_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    report = scale(locate_pidfile(args.run_dir, args.pidfile), args.delta)
    retiring = f" ({report.retiring} retired still finishing requests)" if report.retiring else ""
    print(f"surge scale: workers {report.before} -> {report.after}{retiring}")
    return EXIT_OK
