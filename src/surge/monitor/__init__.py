"""Watch a server's processes while it is under load: CPU, memory, threads and connections (psutil).

Small on purpose, and shared by every command that watches a server (``surge tune`` today)::

    from surge.monitor import TreeSampler, summarize

    sampler = TreeSampler(pidfile=Path("surge-run/serve.pid"))  # or TreeSampler(pid=master_pid)
    first = sampler.sample()          # the baseline
    ...                               # once a second, e.g. from run_plan's on_progress
    samples.append(sampler.sample())
    summary = summarize([first, *samples])   # mean CPU %, peak RSS, ...

Sampling happens in the calling process when ``sample()`` is called; call it from the process
that drives the load, never from the load's worker processes.
"""

from __future__ import annotations

from surge.monitor.sampler import (
    ProcessSample,
    TreeSample,
    TreeSampler,
    TreeSummary,
    cpu_percent_between,
    summarize,
)

__all__ = [
    "ProcessSample",
    "TreeSample",
    "TreeSampler",
    "TreeSummary",
    "cpu_percent_between",
    "summarize",
]
