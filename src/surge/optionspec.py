"""Options declared once, as data: a dataclass field carries its default, flags, parser and help.

As gunicorn declares its settings, an options dataclass (``surge.serve.options.ServeOptions``)
declares each field with ``option(...)``; the command line is generated from the fields
(``surge.cli.declared``), so a default lives in one place and "was it given?" is never a
comparison with a literal. This module is plain data: it knows nothing of argparse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptionSpec:
    """How one dataclass field appears on the command line.

    ``help`` may hold ``{default}``, filled with ``show(default)``; ``parse`` turns the argument's
    text into the field's value (raising ``ValueError`` or ``UsageError`` on bad text); ``flag``
    makes it a switch (store_true) instead of taking a value.
    """

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    show: Callable[[Any], str] = str
    choices: tuple[str, ...] | None = None
    flag: bool = False


OPTION_KEY = "surge.option"


def option(
    default: Any,
    *flags: str,
    help: str,
    metavar: str | None = None,
    parse: Callable[[str], Any] | None = None,
    show: Callable[[Any], str] = str,
    choices: tuple[str, ...] | None = None,
    flag: bool = False,
) -> Any:
    """A dataclass field with ``default`` and its command-line declaration."""
    spec = OptionSpec(tuple(flags), help, metavar, parse, show, choices, flag)
    return dataclasses.field(default=default, metadata={OPTION_KEY: spec})


def declared_options(cls: type) -> list[tuple[dataclasses.Field[Any], OptionSpec]]:
    """The fields of ``cls`` declared with ``option``, in declaration order."""
    return [(f, f.metadata[OPTION_KEY]) for f in dataclasses.fields(cls) if OPTION_KEY in f.metadata]


def help_text(field: dataclasses.Field[Any], spec: OptionSpec) -> str:
    """The option's help with its default filled in from the field."""
    if "{default}" not in spec.help:
        return spec.help
    return spec.help.replace("{default}", spec.show(field.default))
