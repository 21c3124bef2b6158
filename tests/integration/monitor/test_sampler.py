"""surge.monitor's TreeSampler on a real process tree: CPU (also of reaped children), memory, threads,
connections, a root found through a pidfile and followed when it changes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from surge.monitor import TreeSampler, cpu_percent_between, summarize

TREE = Path(__file__).with_name("tree_process.py")


class Tree:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(TREE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self) -> None:
        if self.process.returncode is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.ask("quit")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(self.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


@pytest.fixture
def tree() -> Iterator[Tree]:
    running = Tree()
    try:
        yield running
    finally:
        running.stop()


def test_children_memory_and_threads(tree: Tree) -> None:
    child = int(tree.ask("hold").split()[1])
    sample = TreeSampler(pid=tree.pid).sample()
    pids = {p.pid: p for p in sample.processes}
    assert sample.root_pid == tree.pid
    assert set(pids) == {tree.pid, child}
    assert pids[tree.pid].role == "root" and pids[child].role == "child"
    assert all(p.rss_bytes > 0 and p.threads >= 1 for p in sample.processes)
    assert sample.rss_bytes == sum(p.rss_bytes for p in sample.processes)
    assert sample.connections is None  # not asked for
    assert sample.cpu_percent == 0.0 and sample.interval_s == 0.0  # the first sample is the baseline


def test_cpu_of_a_child_that_exited_between_samples_is_counted(tree: Tree) -> None:
    sampler = TreeSampler(pid=tree.pid)
    first = sampler.sample()
    reaped = int(tree.ask("spin 0.3").split()[1])
    last = sampler.sample()
    assert reaped not in {p.pid for p in last.processes}
    assert last.cpu_s - first.cpu_s >= 0.3
    assert last.cpu_percent > 0
    assert cpu_percent_between(first, last) == pytest.approx(last.cpu_percent, rel=1e-6)


def test_connections_counted_when_asked(tree: Tree) -> None:
    tree.ask("listen")
    sample = TreeSampler(pid=tree.pid, connections=True).sample()
    # The client end and the accepted end; the listening socket is not a connection.
    assert sample.connections == 2


def test_pidfile_root_is_followed_to_a_new_server(tmp_path: Path, tree: Tree) -> None:
    pidfile = tmp_path / "serve.pid"
    pidfile.write_text(f"{tree.pid}\n")
    sampler = TreeSampler(pidfile=pidfile)
    first = sampler.sample()
    assert first.root_pid == tree.pid and not first.restarted
    other = Tree()
    try:
        pidfile.write_text(f"{other.pid}\n")
        second = sampler.sample()
        assert second.root_pid == other.pid and second.restarted
        assert second.cpu_percent == 0.0  # a new baseline: the old server's CPU is not carried over
        pidfile.unlink()
        gone = sampler.sample()
        assert gone.root_pid is None and gone.processes == ()
    finally:
        other.stop()


def test_root_that_exited_gives_empty_samples_and_summary_keeps_figures(tree: Tree) -> None:
    sampler = TreeSampler(pid=tree.pid)
    samples = [sampler.sample()]
    tree.ask("spin 0.2")
    samples.append(sampler.sample())
    tree.stop()
    samples.append(sampler.sample())
    assert samples[-1].root_pid is None and samples[-1].processes == ()
    summary = summarize(samples)
    assert summary.samples == 3
    assert summary.cpu_percent > 0
    assert summary.peak_rss_bytes > 0 and summary.last_rss_bytes == 0
    assert summary.processes_seen == 1


def test_needs_a_pid_or_a_pidfile() -> None:
    with pytest.raises(ValueError):
        TreeSampler()
    with pytest.raises(ValueError):
        TreeSampler(pid=1, pidfile=Path("x"))
