"""Client address from X-Forwarded-For, and a rotating log file shared by several writers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from surge.serve.standalone import SharedRotatingFileHandler, client_address

LOCAL = ["127.0.0.1", "::1"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "allowed", "expected"),
    [
        ("127.0.0.1", None, LOCAL, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.7", LOCAL, "203.0.113.7"),
        # An untrusted peer cannot choose the logged address.
        ("198.51.100.2", "203.0.113.7", LOCAL, "198.51.100.2"),
        # Read from the right: the first untrusted hop is the client; left of it may be forged.
        ("127.0.0.1", "1.1.1.1, 203.0.113.7", LOCAL, "203.0.113.7"),
        ("127.0.0.1", "203.0.113.7, 10.0.0.5", ["127.0.0.1", "10.0.0.0/8"], "203.0.113.7"),
        ("10.1.2.3", "203.0.113.7", ["10.0.0.0/8"], "203.0.113.7"),
        ("127.0.0.1", "10.0.0.5, 10.0.0.6", ["127.0.0.1", "10.0.0.0/8"], "10.0.0.5"),
        ("198.51.100.2", "203.0.113.7", ["*"], "203.0.113.7"),
        ("127.0.0.1", "unknown", LOCAL, "unknown"),
        (None, "203.0.113.7", LOCAL, "-"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, allowed: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, allowed) == expected


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)


def test_two_writers_rotate_one_file_without_losing_lines(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    # Two handlers on one path stand for two worker processes: each has its own open file.
    writers = [SharedRotatingFileHandler(str(path), maxBytes=400, backupCount=50) for _ in range(2)]
    for writer in writers:
        writer.setFormatter(logging.Formatter("%(message)s"))
    messages = [f"request {i:03d} " + "x" * 20 for i in range(100)]
    for i, message in enumerate(messages):
        writers[i % 2].emit(_record(message))
    for writer in writers:
        writer.close()
    files = [path, *sorted(tmp_path.glob("access.log.[0-9]*"))]
    assert len(files) > 3  # it rotated
    lines = [line for f in files for line in f.read_text().splitlines()]
    assert sorted(lines) == sorted(messages)  # nothing lost, nothing written twice
    for f in files:
        assert f.stat().st_size <= 400 + 40  # at most one line over the limit


def test_backup_count_bounds_the_files(tmp_path: Path) -> None:
    path = tmp_path / "error.log"
    handler = SharedRotatingFileHandler(str(path), maxBytes=100, backupCount=2)
    for i in range(50):
        handler.emit(_record(f"line {i} " + "y" * 30))
    handler.close()
    assert sorted(p.name for p in tmp_path.glob("error.log*") if not p.name.endswith(".lock")) == [
        "error.log",
        "error.log.1",
        "error.log.2",
    ]
