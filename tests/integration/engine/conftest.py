"""Fixtures for engine integration tests: the local test server over TLS (the plain one is shared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers.http_server import LocalHttpServer
from servers.tls import self_signed_server_context


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHttpServer]:
    """The same server over TLS with a self-signed certificate made by the openssl CLI."""
    context = self_signed_server_context(tmp_path_factory.mktemp("tls"))
    with LocalHttpServer(ssl_context=context) as running:
        yield running
