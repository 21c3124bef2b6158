"""Fixtures for the ``surge run`` subprocess tests: the local HTTP server they load."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the servers package

from servers.http_server import LocalHttpServer


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as running:
        yield running
