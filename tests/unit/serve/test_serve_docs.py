"""The README and docs/serve.md tell a new user what works: Python ≥ 3.11, a virtual environment,
installing from the clone (surge is on no package index)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_lines(markdown: str) -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", markdown, flags=re.S):
        lines += [line.strip() for line in block.splitlines()]
    return lines


def test_readme_names_the_python_version_and_makes_a_virtual_environment() -> None:
    assert "Python ≥ 3.11" in README
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = _code_lines(quick_start)
    assert "python3 -m venv .venv && . .venv/bin/activate" in commands
    # The two one-line commands stay: install and run the demo; install and run the tests.
    assert "pip install . && surge demo" in commands
    assert 'pip install -e ".[dev]" && python -m pytest' in commands


def test_no_doc_installs_surge_from_a_package_index() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"pip install surge\b", text), path.name
