"""Command-line options generated from an options dataclass declared with ``surge.optionspec``.

Every generated option defaults to None ("not given"), so the dataclass's own default applies
unless the user gave a value, and a command can tell what was given without comparing values.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from surge.errors import UsageError
from surge.optionspec import declared_options, help_text


def add_declared_options(parser: argparse.ArgumentParser, cls: type, *, skip: Iterable[str] = ()) -> None:
    """Add one option per declared field of ``cls`` (fields named in ``skip`` are left out)."""
    skipped = set(skip)
    for field, spec in declared_options(cls):
        if field.name in skipped:
            continue
        # argparse formats help with %: the declared text (and its default) is literal.
        text = help_text(field, spec).replace("%", "%%")
        if spec.flag:
            parser.add_argument(*spec.flags, dest=field.name, action="store_true", default=None, help=text)
            continue
        kwargs: dict[str, Any] = {"dest": field.name, "default": None, "help": text, "metavar": spec.metavar}
        if spec.choices is not None:
            kwargs["choices"] = spec.choices
        if spec.parse is not None:
            kwargs["type"] = _argument_type(spec.parse)
        parser.add_argument(*spec.flags, **kwargs)


def given_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The declared fields of ``cls`` that the user gave, as keyword arguments for ``cls``."""
    return {
        field.name: getattr(args, field.name)
        for field, _ in declared_options(cls)
        if getattr(args, field.name, None) is not None
    }


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` with its errors as argparse's (one line, exit 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except (ValueError, UsageError) as exc:
            message = str(exc) if isinstance(exc, UsageError) else f"invalid value {text!r}"
            raise argparse.ArgumentTypeError(message) from exc

    return convert
