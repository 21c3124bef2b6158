"""Benchmark: what cluster mode costs, ``--cluster local:2`` against ``-p 2`` on the same nginx, in one run.

Both run the same surge workers; cluster mode adds Dask around them (a scheduler, a queue of ticks
and rows, a thread per worker to send them). For each mode, alternating, ``--repeat`` times:

- closed model (``-u USERS -d DURATION``): CPU µs per request of the load generator's workers during
  the run (``generator_cpu_s`` of ``--summary-json``: each worker's own CPU, Dask's threads in the
  cluster worker included), and req/s;
- open model (``--rate RATE -d DURATION``): the arrival rate achieved (samples / planned duration)
  against the rate asked for, and late arrivals.

Targets (issue 14): cluster CPU per request within 10 % of ``-p 2``'s; arrival rate within 1 % of the
asked rate. nginx (1 worker) is pinned to CPU 0 when the machine has more than one.

    python benchmarks/cluster_overhead.py [--duration 10s] [--users 20] [--rate 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_note, median, run_measured, running_nginx, surge_command  # sibling script

MAX_CPU_RATIO = 1.10
MAX_RATE_ERROR = 0.01
MODES = {"-p 2": ["-p", "2"], "--cluster local:2": ["--cluster", "local:2"]}


def run_once(url: str, mode: list[str], extra: list[str], tmp: Path, name: str) -> dict[str, float]:
    summary = tmp / f"{name}.json"
    out = tmp / f"{name}.jtl"
    cmd = [
        *surge_command(),
        "run",
        url,
        *mode,
        *extra,
        "-o",
        str(out),
        "--force",
        "-q",
        "--summary-json",
        str(summary),
    ]
    usage = run_measured(cmd, stdout_path=tmp / f"{name}.out", stderr_path=tmp / f"{name}.err", timeout_s=300)
    if usage.returncode not in (0, 4):
        raise SystemExit(
            f"{' '.join(cmd)} exited {usage.returncode}: {(tmp / f'{name}.err').read_text()[-2000:]}"
        )
    document = json.loads(summary.read_text())
    samples = document["total"]["samples"]
    return {
        "samples": samples,
        "cpu_us_per_request": document["generator_cpu_s"] / max(1, samples) * 1e6,
        "rps": document["total"]["rate_per_s"],
        "late": document["arrivals"]["late"],
        "arrivals": document["arrivals"]["total"],
        "tree_cpu_s": usage.cpu_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    duration_s = float(args.duration.rstrip("s"))
    print(f"cluster_overhead  {machine_note()}")
    closed: dict[str, list[dict[str, float]]] = {name: [] for name in MODES}
    opened: dict[str, list[dict[str, float]]] = {name: [] for name in MODES}
    with tempfile.TemporaryDirectory(prefix="surge-cluster-bench-") as folder:
        tmp = Path(folder)
        cpu = 0 if (os.cpu_count() or 1) > 1 else None
        with running_nginx(tmp / "nginx", cpu=cpu) as nginx:
            for round_ in range(args.repeat):
                for name, mode in MODES.items():
                    tag = name.replace(" ", "").replace("-", "").replace(":", "")
                    closed[name].append(
                        run_once(
                            nginx.url,
                            mode,
                            ["-u", str(args.users), "-d", args.duration],
                            tmp,
                            f"c{tag}{round_}",
                        )
                    )
                    opened[name].append(
                        run_once(
                            nginx.url,
                            mode,
                            ["--rate", f"{args.rate:g}", "-d", args.duration],
                            tmp,
                            f"o{tag}{round_}",
                        )
                    )
    print(f"\nclosed model, {args.users} users, {args.duration}, medians of {args.repeat}:")
    print(f"  {'mode':<20} {'req/s':>9} {'CPU µs/request':>15}")
    cpu_median = {}
    for name, runs in closed.items():
        cpu_median[name] = median([r["cpu_us_per_request"] for r in runs])
        print(f"  {name:<20} {median([r['rps'] for r in runs]):>9.0f} {cpu_median[name]:>15.1f}")
    ratio = cpu_median["--cluster local:2"] / cpu_median["-p 2"]
    cpu_ok = ratio <= MAX_CPU_RATIO
    verdict = "PASS" if cpu_ok else "MISS"
    print(f"  cluster / local CPU per request: {ratio:.3f} (target <= {MAX_CPU_RATIO:.2f}): {verdict}")
    print(f"\nopen model, {args.rate:g}/s for {args.duration}, medians of {args.repeat}:")
    print(f"  {'mode':<20} {'samples':>9} {'rate/s':>9} {'error':>8} {'late':>6}")
    rate_ok = True
    for name, runs in opened.items():
        achieved = median([r["samples"] / duration_s for r in runs])
        error = abs(achieved - args.rate) / args.rate
        rate_ok = rate_ok and error <= MAX_RATE_ERROR
        late = median([r["late"] for r in runs])
        samples = median([r["samples"] for r in runs])
        print(f"  {name:<20} {samples:>9.0f} {achieved:>9.1f} {error:>7.2%} {late:>6.0f}")
    print(f"  arrival rate within {MAX_RATE_ERROR:.0%} of the asked rate: {'PASS' if rate_ok else 'MISS'}")
    return 0 if cpu_ok and rate_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
