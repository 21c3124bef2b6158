"""Exceptions that the library raises and the CLI maps to exit codes."""

from __future__ import annotations

# Exit codes shared by every command. 2 follows argparse's convention for bad usage.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_THRESHOLDS_FAILED = 3
EXIT_INVALID_RUN = 4
EXIT_INTERRUPTED = 130


class SurgeError(Exception):
    """An error the user can act on; its message is printed as one line, without a traceback."""

    exit_code: int = EXIT_FAILURE


class UsageError(SurgeError):
    """Bad input from the command line or a file the user named (exit code 2)."""

    exit_code = EXIT_USAGE
