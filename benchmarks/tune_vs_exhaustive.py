"""Benchmark: ``surge tune``'s smart search against the exhaustive grid, on the demo app.

For each endpoint of the demo app (``/io``, ``/cpu`` and ``/``, the "hello" route), runs

- ``surge tune surge.demo:app --path P --exhaustive``: every candidate with fine trials, and
- ``surge tune surge.demo:app --path P``: the smart search,

one after the other (their order alternates from one endpoint to the next, so that a machine
getting busier or quieter does not always favour the same one), each with its JSON written, and
compares them. The issue's targets:

- **time**: the smart search takes at most a third of the exhaustive search's wall time;
- **result**: the candidate the smart search recommends serves, as the exhaustive search measured
  it, within 5 % of the exhaustive search's best (the highest rate of any candidate). Its own
  figure against that best is shown too (two runs of the same candidate differ by the machine's
  noise, which on a shared machine is larger than 5 %).

    python benchmarks/tune_vs_exhaustive.py [--paths /io,/cpu,/] [--max-workers N] [--json OUT]

Both tunes get the same candidate options (``--max-workers``, ``--threads``,
``--worker-connections``: surge's defaults unless given) and a budget large enough never to cut
them short (``--budget``, default 2 h). Everything runs on 127.0.0.1; each tune stops its own
servers; the temporary folder (``/tmp/surge-bench-tune-*``) is removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_note  # benchmarks are scripts, not a package: import the siblings by path

DEFAULT_PATHS = ("/io", "/cpu", "/")
TIME_TARGET = 1 / 3
RESULT_TARGET = 0.95


@dataclass(frozen=True)
class TuneRun:
    """One finished tune: its wall time and JSON document."""

    strategy: str
    wall_s: float
    returncode: int
    document: dict[str, Any]


@dataclass(frozen=True)
class Comparison:
    """The smart search against the exhaustive one, on one endpoint."""

    path: str
    exhaustive_s: float
    smart_s: float
    time_ratio: float  # smart / exhaustive
    exhaustive_best: str  # the candidate with the highest rate in the exhaustive run
    exhaustive_best_rps: float
    exhaustive_pick: str  # what the exhaustive run recommends (the cheapest within its noise)
    smart_pick: str
    smart_pick_rps: float  # the smart pick's rate as the smart run measured it
    smart_pick_in_exhaustive_rps: float | None  # the smart pick's rate as the exhaustive run measured it
    result_ratio: float | None  # smart pick (exhaustive's figure) / exhaustive best
    own_ratio: float  # smart pick (smart's figure) / exhaustive best
    exhaustive_measurements: int
    smart_measurements: int

    @property
    def time_ok(self) -> bool:
        return self.time_ratio <= TIME_TARGET

    @property
    def result_ok(self) -> bool:
        return self.result_ratio is not None and self.result_ratio >= RESULT_TARGET


def _ranked(document: dict[str, Any]) -> dict[str, float]:
    """Candidate key -> its highest rate at the SLO, for the gunicorn candidates that met it."""
    return {
        c["key"]: float(c["max_rps"])
        for c in document["candidates"]
        if c["status"] == "ok" and not c["reference"] and c["max_rps"] is not None
    }


def compare(path: str, smart: TuneRun, exhaustive: TuneRun) -> Comparison:
    """What the two runs say on one endpoint (both must have a recommendation)."""
    full = _ranked(exhaustive.document)
    if not full or smart.document["recommendation"] is None or exhaustive.document["recommendation"] is None:
        raise ValueError(f"{path}: a tune ended without a recommendation; nothing to compare")
    best = max(full, key=lambda key: full[key])
    pick = smart.document["recommendation"]
    in_full = full.get(pick["key"])
    return Comparison(
        path=path,
        exhaustive_s=exhaustive.wall_s,
        smart_s=smart.wall_s,
        time_ratio=smart.wall_s / exhaustive.wall_s,
        exhaustive_best=best,
        exhaustive_best_rps=full[best],
        exhaustive_pick=exhaustive.document["recommendation"]["key"],
        smart_pick=pick["key"],
        smart_pick_rps=float(pick["max_rps"]),
        smart_pick_in_exhaustive_rps=in_full,
        result_ratio=in_full / full[best] if in_full is not None else None,
        own_ratio=float(pick["max_rps"]) / full[best],
        exhaustive_measurements=int(exhaustive.document["search"]["measurements"]),
        smart_measurements=int(smart.document["search"]["measurements"]),
    )


def run_tune(strategy: str, path: str, folder: Path, tune_args: Sequence[str]) -> TuneRun:
    """``surge tune`` for one endpoint, in its own folder; the wall time is the whole command's."""
    out = folder / f"{strategy}-{path.strip('/') or 'hello'}"
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "surge", "tune", "surge.demo:app", "--path", path, "--json", "tune.json"]
    command += ["-o", "page", *tune_args]
    if strategy == "exhaustive":
        command.append("--exhaustive")
    started = time.monotonic()
    done = subprocess.run(command, cwd=out, capture_output=True, text=True, check=False)
    wall_s = time.monotonic() - started
    (out / "stdout.txt").write_text(done.stdout)
    (out / "stderr.txt").write_text(done.stderr)
    if done.returncode not in (0, 3) or not (out / "tune.json").exists():
        raise RuntimeError(
            f"surge tune ({strategy}, {path}) exited {done.returncode}: {done.stderr.strip()[-500:]}"
        )
    document = json.loads((out / "tune.json").read_text())
    return TuneRun(strategy, wall_s, done.returncode, document)


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(comparisons: Sequence[Comparison]) -> str:
    head = ("path", "exhaustive", "smart", "time", "exhaustive best", "smart pick", "pick/best", "own/best")
    lines = [
        f"{head[0]:<6} {head[1]:>10} {head[2]:>8} {head[3]:>6}   {head[4]:<26} {head[5]:<22}"
        f" {head[6]:>9} {head[7]:>8}"
    ]
    for c in comparisons:
        result = f"{c.result_ratio:.1%}" if c.result_ratio is not None else "n/a"
        best = f"{c.exhaustive_best} {c.exhaustive_best_rps:,.0f}"
        pick = f"{c.smart_pick} {c.smart_pick_rps:,.0f}"
        lines.append(
            f"{c.path:<6} {c.exhaustive_s:>9.0f}s {c.smart_s:>7.0f}s {c.time_ratio:>6.1%}"
            f"   {best:<26} {pick:<22} {result:>9} {c.own_ratio:>8.1%}"
        )
    lines.append("")
    for c in comparisons:
        lines.append(
            f"{c.path}: time {_mark(c.time_ok)} ({c.time_ratio:.1%} <= {TIME_TARGET:.1%}),"
            f" result {_mark(c.result_ok)} (smart pick at {c.result_ratio or 0:.1%} of the exhaustive best,"
            f" target >= {RESULT_TARGET:.0%}); exhaustive recommends {c.exhaustive_pick},"
            f" {c.exhaustive_measurements} vs {c.smart_measurements} measurements"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--paths", default=",".join(DEFAULT_PATHS), help="endpoints of the demo app (/io,/cpu,/)"
    )
    parser.add_argument("--max-workers", type=int, help="passed to both tunes (default: surge's)")
    parser.add_argument("--threads", help="passed to both tunes, e.g. 4,16,64 (default: surge's)")
    parser.add_argument("--worker-connections", help="passed to both tunes (default: surge's)")
    parser.add_argument("--budget", default="2h", help="each tune's budget: large, never to cut them short")
    parser.add_argument("--json", type=Path, help="write the comparisons and both documents here")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder with both tunes' output"
    )
    args = parser.parse_args(argv)
    args.path_list = [p.strip() for p in args.paths.split(",") if p.strip()]
    if not args.path_list or any(not p.startswith("/") for p in args.path_list):
        parser.error(f"--paths: paths starting with /, got {args.paths!r}")
    return args


def tune_args(args: argparse.Namespace) -> list[str]:
    extra = ["--budget", args.budget]
    if args.max_workers is not None:
        extra += ["--max-workers", str(args.max_workers)]
    if args.threads:
        extra += ["--threads", args.threads]
    if args.worker_connections:
        extra += ["--worker-connections", args.worker_connections]
    return extra


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="surge-bench-tune-"))
    print(machine_note(), flush=True)
    comparisons: list[Comparison] = []
    runs: dict[str, dict[str, Any]] = {}
    try:
        for index, path in enumerate(args.path_list):
            order = ("exhaustive", "smart") if index % 2 == 0 else ("smart", "exhaustive")
            done: dict[str, TuneRun] = {}
            for strategy in order:
                print(f"{path}: {strategy} ...", flush=True)
                done[strategy] = run_tune(strategy, path, folder, tune_args(args))
                print(
                    f"{path}: {strategy} took {done[strategy].wall_s:.0f}s, load avg {os.getloadavg()[0]:.1f}"
                )
            comparisons.append(compare(path, done["smart"], done["exhaustive"]))
            runs[path] = {s: asdict(r) for s, r in done.items()}
        print()
        print(report(comparisons))
        if args.json is not None:
            document = {
                "machine": machine_note(),
                "comparisons": [asdict(c) for c in comparisons],
                "runs": runs,
            }
            args.json.write_text(json.dumps(document, indent=2) + "\n")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
