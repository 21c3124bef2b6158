"""Every command's --help reads as written: argparse's %% escapes belong in help strings only."""

from __future__ import annotations

import argparse

from surge.cli import build_parser


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_no_command_help_shows_a_doubled_percent_sign() -> None:
    pages = {"surge": build_parser().format_help()}
    pages.update({name: sub.format_help() for name, sub in _subparsers().items()})
    doubled = [name for name, text in pages.items() if "%%" in text]
    assert not doubled, doubled
    assert "CPU % (of one core" in " ".join(pages["ps"].split())
