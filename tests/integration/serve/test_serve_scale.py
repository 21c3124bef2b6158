"""``surge scale N`` sets the worker count (as docker and kubectl scale); ``+N`` / ``-N`` change it.

Against a real gunicorn daemon: the master's children are counted, not surge's own report.
"""

from __future__ import annotations

import json

import pytest
from serve_harness import Harness, wait_for

from surge.cli import build_parser

pytestmark = pytest.mark.timeout(180)


def _scale(harness: Harness, arg: str, expected_line: str, workers: int) -> None:
    result = harness.surge("scale", arg)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected_line
    wait_for(lambda: len(harness.workers()) == workers, 20, f"{workers} workers after surge scale {arg}")


def test_scale_sets_adds_and_removes(harness: Harness) -> None:
    harness.serve("surge.demo:app", "-w", "2", "--graceful-timeout", "2s")
    assert len(harness.workers()) == 2

    _scale(harness, "2", "surge scale: already 2 workers", 2)  # not 2 more
    _scale(harness, "3", "surge scale: workers 2 -> 3", 3)
    _scale(harness, "1", "surge scale: workers 3 -> 1", 1)
    _scale(harness, "+2", "surge scale: workers 1 -> 3", 3)
    _scale(harness, "-1", "surge scale: workers 3 -> 2", 2)

    # The count is recorded, so a reload (HUP: gunicorn re-reads its settings) keeps it.
    state = json.loads((harness.folder / "surge-run" / "serve.json").read_text())
    assert state["workers"] == 2 and state["settings"]["workers"] == 2
    before = harness.workers()
    assert harness.surge("reload").returncode == 0
    wait_for(lambda: len(harness.workers()) == 2 and not harness.workers() & before, 30, "2 new workers")

    for bad, message in (
        ("0", "at least 1 worker must remain"),
        ("-2", "at least 1 worker must remain"),
        ("+0", "changes nothing"),
        ("two", "expected N, +N or -N"),
    ):
        result = harness.surge("scale", bad)
        assert result.returncode == 2, (bad, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert len(harness.workers()) == 2
    assert harness.surge("stop").returncode == 0


def test_scale_help_says_n_sets_the_count() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    text = subparsers.choices["scale"].format_help()  # type: ignore[attr-defined]
    assert "N|+N|-N" in text
    assert "N sets the count" in " ".join(text.split())
