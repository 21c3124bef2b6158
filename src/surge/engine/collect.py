"""What every way of running a plan does around its workers: part files, the merge, the result.

The local runner (``surge.engine.runner``) and cluster mode (``surge.cluster``) run workers
differently but keep their rows the same way: one part file per worker in a private folder beside
the results file, merged at the end, and one ``RunResult`` built from the workers' results.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from surge.engine.messages import WorkerResult
from surge.engine.run_result import AbortReason, LostWorker, RunResult
from surge.engine.summary import LabelTotals, no_response_samples, summarize, top_errors
from surge.errors import SurgeError, UsageError
from surge.plan import Plan
from surge.results.jtl_write import merge_parts


def prepare_parts(out_path: Path, count: int) -> tuple[Path, list[Path]]:
    """A private folder beside ``out_path`` and the paths of ``count`` part files in it.

    Beside the results file (same file system, so one part is renamed into place), and private
    (made for this run), so a part file can never collide with a file of the user's.
    """
    if out_path.is_dir():
        raise UsageError(f"cannot write results to {out_path}: it is a directory")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        parts_dir = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", suffix=".parts", dir=out_path.parent))
    except OSError as exc:
        raise UsageError(f"cannot write results to {out_path}: {exc.strerror or exc}") from exc
    return parts_dir, [parts_dir / f"part{i + 1}.jtl" for i in range(count)]


def merge_into(parts: Sequence[Path], parts_dir: Path, out_path: Path) -> int:
    """Merge the part files into ``out_path`` and remove their folder; on failure, name the parts."""
    try:
        rows = merge_parts(parts, out_path)
    except OSError as exc:
        kept = [str(p) for p in parts if p.exists()]
        with contextlib.suppress(OSError):
            if out_path.exists() and kept:
                out_path.unlink()  # a partial merge: the part files hold every row
        raise SurgeError(
            f"could not write the results to {out_path} ({exc.strerror or exc}); "
            f"the samples are in {', '.join(kept) or 'no file'}"
        ) from exc
    shutil.rmtree(parts_dir, ignore_errors=True)
    return rows


def write_failure(
    reason: str, finished: Sequence[WorkerResult], rows: int, out_path: Path, ran_s: float
) -> SurgeError:
    """The error of a run stopped because its rows could not be written (disk full)."""
    rows_lost = sum(r.rows_lost for r in finished)
    lost = f"; {rows_lost} samples recorded after that could not be written" if rows_lost else ""
    return SurgeError(
        f"could not write the results ({reason}): the run stopped after "
        f"{max(0.0, ran_s):.1f} s; {rows} samples are in {out_path}{lost}"
    )


def build_result(
    plan: Plan,
    out_path: Path,
    finished: Sequence[WorkerResult],
    *,
    processes: int,
    t0_epoch_ns: int,
    end_ns: int,
    rows: int,
    aborted_by: AbortReason | None,
    stopped: bool,
    lost_workers: tuple[LostWorker, ...] = (),
) -> RunResult:
    """The run's summary from what its workers sent at the end (``stopped``: ended early on request)."""
    duration_s = max(1e-9, (end_ns - t0_epoch_ns) / 1e9) if t0_epoch_ns else 0.0
    totals: list[LabelTotals] = [t for r in finished for t in r.label_totals]
    labels, total = summarize(totals, duration_s)
    return RunResult(
        out_path=out_path,
        labels=labels,
        total=total,
        duration_s=duration_s,
        started_epoch_ms=t0_epoch_ns // 1_000_000,
        processes=processes,
        rows_written=rows,
        worker_cpu_s=sum(r.cpu_s for r in finished),
        interrupted=aborted_by is None and (stopped or any(r.interrupted for r in finished)),
        top_errors=top_errors(totals),
        arrivals=sum(r.arrivals for r in finished),
        late_arrivals=sum(r.late_arrivals for r in finished),
        unsent_arrivals=sum(r.unsent_arrivals for r in finished),
        max_queue_ms=max((r.max_queue_ms for r in finished), default=0),
        aborted_by=aborted_by,
        waiting_at_end=sum(r.waiting_at_end for r in finished),
        no_response=no_response_samples(totals),
        planned_duration_s=plan.duration_s,
        graceful_stop_s=plan.graceful_stop_s,
        origins=plan_origins(plan),
        lost_workers=lost_workers,
    )


def install_stop_handlers(stop: Callable[[], None]) -> dict[int, Any]:
    """SIGINT and SIGTERM call ``stop`` (the run ends early, its file is kept); main thread only.

    SIGXFSZ is ignored, so a file-size limit (ulimit -f) fails the merge's write with EFBIG,
    which is reported, instead of killing the process. Returns what ``restore_handlers`` needs.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        stop()

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handle)
    previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return previous


def restore_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def exit_text(exitcode: int | None) -> str:
    """``was killed by SIGKILL`` / ``exited with code 1`` (negative exit codes are signals)."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with code {exitcode}"


def plan_origins(plan: Plan) -> tuple[str, ...]:
    """``host:port`` of every request the plan names, in order, once each."""
    seen: dict[str, None] = {}
    for group in plan.groups:
        for request in group.requests:
            host = request.host if ":" not in request.host else f"[{request.host}]"
            seen[f"{host}:{request.port}"] = None
    return tuple(seen)
