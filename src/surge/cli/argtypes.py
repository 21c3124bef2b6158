"""argparse value types shared by the commands (bad values become argparse's one-line errors)."""

from __future__ import annotations

import argparse


def int_arg(text: str) -> int:
    """A whole number; ranges are checked where the option is used, with the option's own words."""
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from exc
