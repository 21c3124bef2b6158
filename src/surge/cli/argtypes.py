"""argparse value types shared by the commands (bad values become argparse's one-line errors)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any


def int_arg(text: str) -> int:
    """A whole number; ranges are checked where the option is used, with the option's own words."""
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from exc


def default_of(cls: type, name: str) -> Any:
    """The default of the dataclass field ``cls.name``: options take their defaults from there.

    Options given no default (None) on the command line keep the dataclass's own, so a default is
    declared once, and "was this option given?" is ``is not None``.
    """
    for field in dataclasses.fields(cls):
        if field.name == name:
            if field.default is not dataclasses.MISSING:
                return field.default
            if field.default_factory is not dataclasses.MISSING:
                return field.default_factory()
    raise AttributeError(f"{cls.__name__} has no field {name!r} with a default")
