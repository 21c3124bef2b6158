"""The browser the page tests share (one Chromium per test module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chromium import launched_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as running:
        yield running
