"""A pidfile that surge serve did not write (garbage, non-ASCII bytes, a folder) is one line and exit 2.

Every command that reads the pidfile is tried; none may print a traceback, and surge serve must
neither start a server nor overwrite a file it did not write.
"""

from __future__ import annotations

import pytest
from serve_harness import Harness, free_port

from surge.cli import main

pytestmark = pytest.mark.timeout(120)

NOT_PIDS = [
    pytest.param(b"garbage\n", id="text"),
    pytest.param(b"\xff\xfe\x00\x80junk", id="binary"),
    pytest.param("été\n".encode(), id="utf8"),
    pytest.param(b"", id="empty"),
    pytest.param(b"12abc\n", id="digits-then-text"),
    pytest.param(b"0\n", id="zero"),
    pytest.param(b"-5\n", id="negative"),
    pytest.param(b"1 2\n", id="two-numbers"),
    pytest.param(b"9" * 30 + b"\n", id="huge"),
    pytest.param(b"1" * 5000, id="long"),
]


def _commands() -> list[list[str]]:
    return [
        ["ps"],
        ["stop"],
        ["reload"],
        ["scale", "+1"],
        ["scale", "2"],
        ["serve", "surge.demo:app", "--bind", f"127.0.0.1:{free_port()}", "--daemon"],
    ]


def _assert_refused(
    harness: Harness, capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    try:
        code = main(command)
    finally:
        harness.remember_servers()  # cleanup stops anything a broken version might have started
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, (command, code, captured.err)
    assert len(lines) == 1, (command, captured.err)
    assert lines[0].startswith(f"surge {command[0]}: error: not a pidfile written by surge serve: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("content", NOT_PIDS)
def test_bad_pidfile_is_one_line_and_exit_2(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.chdir(harness.folder)
    pidfile = harness.folder / "surge-run" / "serve.pid"
    pidfile.parent.mkdir()
    pidfile.write_bytes(content)
    for command in _commands():
        _assert_refused(harness, capsys, command, str(pidfile))
    assert pidfile.read_bytes() == content  # never overwritten nor removed
    assert not harness.pids, "a server was started"


def test_a_folder_is_not_a_pidfile(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(harness.folder)
    (harness.folder / "surge-run" / "serve.pid").mkdir(parents=True)
    for command in _commands():
        _assert_refused(harness, capsys, command, "is not a regular file")


def test_a_live_pid_that_is_no_master_is_named(
    harness: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pid 1 runs, but it is no server of ours: the pidfile is stale, and it says which pid it names.
    monkeypatch.chdir(harness.folder)
    pidfile = harness.folder / "surge-run" / "serve.pid"
    pidfile.parent.mkdir()
    pidfile.write_text("1\n")
    assert main(["ps"]) == 1
    assert "stale (pid 1 is not a surge or gunicorn master)" in capsys.readouterr().err
