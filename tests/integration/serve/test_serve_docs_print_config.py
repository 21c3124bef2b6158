"""docs/serve.md's --print-config example, run line by line while a daemon holds the default pidfile.

The commands are read from the docs (the code block that writes gunicorn.conf.py, from that line
on), with myapp:app replaced by the demo app and the documented port by a free one.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from serve_harness import Harness, free_port, http, port_is_free, wait_for

pytestmark = pytest.mark.timeout(180)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "serve.md"
STEP_TIMEOUT_S = 60


def _example() -> list[str]:
    for block in re.findall(r"```\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S):
        lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
        for index, line in enumerate(lines):
            if "--print-config >" in line:
                return [line for line in lines[index:] if line]
    raise AssertionError("docs/serve.md has no --print-config example")


def test_print_config_example_works_while_a_daemon_runs(harness: Harness) -> None:
    daemon_port = harness.serve("surge.demo:app", "-w", "1")  # holds ./surge-run/serve.pid
    port = free_port()
    documented_ports = set()
    for line in _example():
        documented_ports.update(re.findall(r"127\.0\.0\.1:(\d+)", line))
        line = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", line).replace("myapp:app", "surge.demo:app")
        command, _, target = line.partition(" > ")
        argv = shlex.split(command)
        assert argv[0] in ("surge", "gunicorn"), line
        try:
            result = subprocess.run(
                [sys.executable, "-m", *argv], cwd=harness.folder, capture_output=True, text=True,
                timeout=STEP_TIMEOUT_S,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail(f"{line!r} did not return within {STEP_TIMEOUT_S}s (a server in the foreground?)")
        finally:
            harness.remember_servers()
        assert result.returncode == 0, f"{line!r} failed:\n{result.stdout}{result.stderr}"
        if target:
            (harness.folder / target.strip()).write_text(result.stdout)
        if argv[0] == "gunicorn":
            wait_for(lambda: not port_is_free(port), 30, "gunicorn to listen")
            assert http(f"http://127.0.0.1:{port}/health")[0] == 200
    assert documented_ports, "the example should bind an address of its own"
    assert port_is_free(port)  # the example's last line stopped its gunicorn
    assert http(f"http://127.0.0.1:{daemon_port}/health")[0] == 200  # and left the daemon alone
    assert harness.surge("stop").returncode == 0
