"""Profile ``surge run`` against a pinned local nginx with py-spy and print where its CPU time goes.

Same setup as engine_vs_peers (nginx pinned to CPU 0, surge to CPU 1, 50 users, 1 process). py-spy
samples every surge process (``--subprocesses``, ``--nonblocking``, idle frames excluded) and this
script folds the raw stacks into the top functions by self time and by inclusive time, with the
file and line of each. Time in C code (uvloop, httptools, the kernel) is charged to the Python
frame that called it.

    pip install py-spy
    python benchmarks/profile_surge.py [--duration 10s] [--users 50] [--top 25] [--raw /tmp/surge.raw]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import running_nginx, surge_command, taskset_prefix  # sibling module, imported by path
from engine_vs_peers import _seconds_arg, parse_duration_s, positive_int

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def parse_raw_stacks(lines: Iterable[str]) -> list[tuple[list[str], int]]:
    """py-spy's raw (collapsed) format: ``frame;frame;...;leaf COUNT`` per line, outermost frame first."""
    stacks: list[tuple[list[str], int]] = []
    for line in lines:
        line = line.rstrip("\n")
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stacks.append((stack.split(";"), int(count)))
    return stacks


def short_frame(frame: str, with_line: bool) -> str:
    """``func (path/to/file.py:123)`` -> ``func (file.py:123)``; the line only when ``with_line``."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    for marker in ("/site-packages/", "/src/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    else:
        file = file.rsplit("/", 1)[-1]
    line = f":{m.group('line')}" if with_line and m.group("line") else ""
    return f"{m.group('func')} ({file}{line})"


def fold(stacks: Sequence[tuple[list[str], int]]) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    """Self time per line and per function, inclusive time per function (once per stack), total."""
    self_lines: Counter[str] = Counter()
    self_funcs: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for frames, count in stacks:
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        self_lines[short_frame(frames[-1], True)] += count
        self_funcs[short_frame(frames[-1], False)] += count
        for func in {short_frame(f, False) for f in frames}:
            inclusive[func] += count
    return self_lines, self_funcs, inclusive, total


def print_top(title: str, counts: Counter[str], total: int, top: int) -> None:
    print(f"\n{title}")
    for name, count in counts.most_common(top):
        print(f"  {100.0 * count / total:5.1f}%  {name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="profile_surge", description="py-spy profile of surge run vs nginx."
    )
    parser.add_argument("--duration", type=parse_duration_s, default=10.0, help="default 10s")
    parser.add_argument("--users", type=positive_int, default=50, help="default 50")
    parser.add_argument("--top", type=positive_int, default=25, help="rows per table (default 25)")
    parser.add_argument("--rate", type=positive_int, default=200, help="py-spy samples per second")
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw stacks here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("profile_surge: error: py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="surge-prof-"))
    raw = args.raw or tmp / "surge.raw"
    try:
        with running_nginx(tmp / "nginx", cpu=0) as nginx:
            cmd = [
                py_spy,
                "record",
                "--subprocesses",
                "--nonblocking",
                "-r",
                str(args.rate),
                "-f",
                "raw",
                "-o",
                str(raw),
                "--",
                *taskset_prefix(1),
                *surge_command(),
                "run",
                nginx.url,
                "-u",
                str(args.users),
                "-d",
                _seconds_arg(args.duration),
                "-p",
                "1",
                "--quiet",
                "-o",
                str(tmp / "surge.jtl"),
            ]
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.duration + 120, check=False
            )
            if done.returncode != 0 or not raw.exists():
                print(f"py-spy/surge failed ({done.returncode}): {done.stderr[-800:]}", file=sys.stderr)
                return 1
        self_lines, self_funcs, inclusive, total = fold(parse_raw_stacks(raw.read_text().splitlines()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{total} samples of surge's processes while on CPU ({args.rate}/s, idle excluded)")
    print_top("self time by function:", self_funcs, total, args.top)
    print_top("self time by line:", self_lines, total, args.top)
    print_top("inclusive time by function:", inclusive, total, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
