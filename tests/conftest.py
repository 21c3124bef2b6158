"""Shared pytest fixtures: fixture paths and the misbehaving local HTTP server (tests/servers)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/, for the servers package

from servers.http_server import LocalHttpServer

FIXTURES_DIR = Path(__file__).parent / "fixtures"
JMETER_FIXTURES_DIR = FIXTURES_DIR / "jmeter"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES_DIR


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHttpServer]:
    """The local test server (fast, slow, status N, chunked, reset, stall ...) on a free port."""
    with LocalHttpServer() as running:
        yield running
