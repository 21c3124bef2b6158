"""The ``surge`` command: parses argv, dispatches to one module per sub-command, maps errors to exit codes.

This package is the only place that prints for the user, parses argv and exits.
Each sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``handler`` to a function ``(args) -> int`` returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from surge import __version__
from surge.errors import EXIT_INTERRUPTED, EXIT_USAGE, SurgeError

# Order is the order shown in ``surge --help``.
COMMAND_MODULES = ("run", "report", "compare", "serve", "ps", "scale", "reload", "stop", "tune", "demo")


class CliParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> CliParser:
    parser = CliParser(
        prog="surge",
        description="Load-test, report on and serve Python web services.",
    )
    parser.add_argument("--version", action="version", version=f"surge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"surge.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
    except SurgeError as exc:
        print(f"surge {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"surge {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code
