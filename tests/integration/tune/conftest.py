"""Fixtures for tune integration tests (helpers in tune_harness.py, test apps in apps/)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tune_harness import TuneHarness


@pytest.fixture
def tune(tmp_path: Path) -> Iterator[TuneHarness]:
    harness = TuneHarness(tmp_path)
    try:
        yield harness
    finally:
        harness.cleanup()
