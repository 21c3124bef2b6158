"""Every ``surge tune`` and ``surge demo --tune`` command shown in the README and docs/tune.md
parses with today's options (the docs stay in step with --help)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from surge.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]


def _commands() -> list[tuple[str, str]]:
    found = []
    for path in (ROOT / "README.md", ROOT / "docs" / "tune.md"):
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
            for line in block.splitlines():
                command = line.split("#", 1)[0].strip()
                if command.startswith(("surge tune", "surge demo")):
                    found.append((path.name, command))
    return found


COMMANDS = _commands()


def test_the_docs_show_tune_commands() -> None:
    assert any(c.startswith("surge tune") for _, c in COMMANDS)
    assert any("--tune" in c for _, c in COMMANDS)


@pytest.mark.parametrize(("where", "command"), COMMANDS)
def test_documented_command_parses(where: str, command: str) -> None:
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command in ("tune", "demo"), (where, command)
