"""The Server page: the monitored server's CPU and memory, and the generator's CPU, over time.

Read from the metrics file ``surge run --monitor`` writes beside the results file
(``results.metrics.csv``; its columns in docs/run.md). Values are averaged into the same time buckets
as the Over Time charts (``granularity_ms``), on the same time axis. Per-process series are drawn
for the processes that used the most CPU (at most ``MAX_PROCESS_SERIES``); the rest are folded into
one, as per-label charts fold labels. JMeter's files have no metrics file: nothing changes then.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_CPU = "serverCpuOverTime"
SERVER_MEMORY = "serverMemoryOverTime"
GENERATOR_CPU = "generatorCpuOverTime"
MAX_PROCESS_SERIES = 20
METRICS_SUFFIX = ".metrics.csv"  # as surge.monitor.record writes it


def metrics_beside(results: Path) -> Path:
    """Where ``surge run --monitor`` put the metrics of ``results`` (``r.jtl`` -> ``r.metrics.csv``)."""
    name = results.name
    stem = name[: -len(".jtl")] if name.endswith(".jtl") else name
    return results.with_name(stem + METRICS_SUFFIX)


@dataclass
class ServerMetrics:
    """A metrics file, read: graphs keyed like the dashboard's, and the info table's figures."""

    graphs: dict[str, dict[str, Any]]
    peak_cpu_percent: float
    peak_rss_bytes: int
    peak_generator_cpu_percent: float
    processes: int
    events: list[str] = field(default_factory=list)  # "server gone at 12:00:03", ...
    bad_rows: int = 0


@dataclass
class _Bucketed:
    """Values averaged per (series, bucket)."""

    sums: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    counts: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, series: str, bucket: int, value: float) -> None:
        self.sums[series][bucket] += value
        self.counts[series][bucket] += 1

    def series(self, name: str) -> list[list[float | None]]:
        sums, counts = self.sums.get(name, {}), self.counts.get(name, {})
        return [[float(b), sums[b] / counts[b]] for b in sorted(sums)]


def read_server_metrics(path: Path, granularity_ms: int) -> ServerMetrics:
    """Read ``path`` and bucket it by ``granularity_ms`` (x values are bucket starts, UTC epoch ms)."""
    cpu, memory, generator = _Bucketed(), _Bucketed(), _Bucketed()
    cpu_by_pid: dict[str, float] = defaultdict(float)
    roles: dict[str, str] = {}
    peak_cpu = peak_generator = 0.0
    peak_rss = 0
    events: list[str] = []
    bad = 0
    with open(path, encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            try:
                at_ms = int(row["timeStamp"])
                kind = row["kind"]
                bucket = at_ms - at_ms % granularity_ms
                if kind == "process":
                    pid = row["pid"]
                    roles[pid] = row["role"]
                    value = float(row["cpu_percent"])
                    cpu.add(pid, bucket, value)
                    memory.add(pid, bucket, int(row["rss_bytes"]) / 1e6)
                    cpu_by_pid[pid] += value
                elif kind == "server":
                    value = float(row["cpu_percent"])
                    rss = int(row["rss_bytes"])
                    cpu.add("Server (all processes)", bucket, value)
                    memory.add("Server (all processes)", bucket, rss / 1e6)
                    peak_cpu, peak_rss = max(peak_cpu, value), max(peak_rss, rss)
                elif kind == "generator":
                    value = float(row["cpu_percent"])
                    generator.add("Load generator (surge workers)", bucket, value)
                    peak_generator = max(peak_generator, value)
                elif kind == "machine":
                    generator.add("Machine (all cores, %)", bucket, float(row["cpu_percent"]))
                elif kind == "event":
                    events.append(f"{row['note']} at {float(row['elapsed_s']):.1f} s")
            except (KeyError, ValueError, TypeError):
                bad += 1
    drawn = sorted(cpu_by_pid, key=lambda pid: (-cpu_by_pid[pid], int(pid) if pid.isdigit() else 0))
    shown, folded = drawn[:MAX_PROCESS_SERIES], drawn[MAX_PROCESS_SERIES:]
    graphs = {
        SERVER_CPU: _graph("Server CPU", cpu, shown, folded, roles, granularity_ms),
        SERVER_MEMORY: _graph("Server memory", memory, shown, folded, roles, granularity_ms),
        GENERATOR_CPU: _graph("Generator CPU", generator, [], [], roles, granularity_ms),
    }
    return ServerMetrics(graphs, peak_cpu, peak_rss, peak_generator, len(cpu_by_pid), events, bad)


def _graph(
    title: str,
    values: _Bucketed,
    processes: list[str],
    folded: list[str],
    roles: dict[str, str],
    granularity_ms: int,
) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    for name in sorted(values.sums):
        if name in processes:
            label = f"pid {name} ({'master' if roles.get(name) == 'root' else 'worker'})"
        elif name in folded:
            continue
        else:
            label = name
        series.append(
            {"label": label, "isController": False, "isOverall": False, "data": values.series(name)}
        )
    if folded:
        other = _Bucketed()
        for name in folded:
            for bucket, total in values.sums[name].items():
                other.add("other", bucket, total / values.counts[name][bucket])
        series.append(
            {"label": f"Other processes ({len(folded)})", "isController": False, "isOverall": False,
             "data": other.series("other"), "isOther": True}
        )  # fmt: skip
    xs = [p[0] for s in series for p in s["data"]]
    ys = [p[1] for s in series for p in s["data"] if p[1] is not None]
    return {
        "result": {
            "title": title,
            "minX": min(xs, default=0.0),
            "maxX": max(xs, default=0.0),
            "minY": min(ys, default=0.0),
            "maxY": max(ys, default=0.0),
            "granularity": granularity_ms,
            "supportsControllersDiscrimination": False,
            "series": series,
        }
    }


def describe(metrics: ServerMetrics) -> Iterable[tuple[str, str]]:
    """Rows for the dashboard's information table."""
    rss_mb = metrics.peak_rss_bytes / 1e6
    yield (
        "Server (monitored)",
        f"peak CPU {metrics.peak_cpu_percent:.0f} % of one core, peak RSS {rss_mb:.1f} MB, "
        f"{metrics.processes} process(es)",
    )
    yield "Load generator", f"peak CPU {metrics.peak_generator_cpu_percent:.0f} % of one core"
    if metrics.events:
        yield "Server events", "; ".join(metrics.events)
