"""``surge run``, once the plan is built: check the outputs, run, show the summary and verdict, report.

Shared by plain runs and JMeter plans' phases (``surge.cli.run_jmx``).
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surge.errors import EXIT_OK, UsageError
from surge.plan import Plan

if TYPE_CHECKING:
    from surge.monitor.record import MetricsRecorder


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before the run, outputs that could not be written and targets that cannot be watched."""
    _check_new_file(args.out, args.force)
    _check_writable(args.junit, "JUnit report")
    _check_writable(args.summary_json, "summary")
    if args.report is not None:
        from surge.report.build import check_out_dir

        check_out_dir(Path(args.report), args.force)
    if args.monitor is not None:
        from surge.monitor.record import metrics_path, sampler_for

        sampler_for(args.monitor)
        _check_new_file(str(metrics_path(Path(args.out))), args.force)
    if args.cluster is not None:
        from surge.cluster.runner import parse_cluster

        parse_cluster(args.cluster)


def finish_outputs(args: argparse.Namespace) -> None:
    """After the run (all its phases): the dashboard, when asked for."""
    if args.report is not None:
        _build_report(Path(args.out), Path(args.report), args.force, args.quiet)


def execute(
    plan: Plan, args: argparse.Namespace, out: Path, *, heading: str = "", reports: bool = True
) -> int:
    """Run ``plan`` into ``out``, print its summary and verdict, write the CI reports; the exit code."""
    # Imported here so that `surge --help` and the other commands do not pay for the engine.
    from surge.cli.run_display import LiveLine, print_summary
    from surge.cli.run_monitor import server_text
    from surge.cli.run_verdict import judge, print_verdict, waiting_at_end_text, write_ci_reports
    from surge.engine.run_result import Progress, RunResult
    from surge.engine.runner import run_plan
    from surge.verdict.live import LiveThresholds
    from surge.verdict.outcome import Status

    recorder = _recorder(args.monitor, Path(args.out)) if reports else None
    if args.cluster is not None:
        from surge.cluster.runner import run_cluster_plan

        run: Any = functools.partial(run_cluster_plan, cluster=args.cluster)
    else:
        run = run_plan
    if heading and not args.quiet:
        print(heading, flush=True)
    live = None if args.quiet else LiveLine(sys.stderr)
    sinks: tuple[LiveThresholds, ...] = ()
    if live is not None and plan.thresholds:
        status = LiveThresholds(plan.thresholds)  # the live view's thresholds, judged on the data so far
        live.thresholds = status.status
        sinks = (status,)

    def on_progress(progress: Progress) -> None:
        if recorder is not None:
            recorder.record(progress.elapsed_s, progress.generator_cpu_percent)
        if live is not None:
            live.show(progress)

    try:
        result: RunResult = run(
            plan,
            out,
            processes=args.processes,
            on_progress=on_progress if live is not None or recorder is not None else None,
            on_notice=live.notice if live is not None else _print_notice,
            abort_check=LiveThresholds(plan.thresholds) if plan.abort_on_fail and plan.thresholds else None,
            label_sinks=sinks,
            live_view=live is not None,
        )
    finally:
        if recorder is not None:
            recorder.close()
    if live is not None:
        live.close()
    verdict = judge(plan, result)
    # Exit codes 3 and 4 are for runs that asked to be judged; a plain run that turns out invalid
    # (the generator saturated its cores) says so and still exits 0, as wrk and k6 would. An
    # interrupted run (130) and one whose target never answered (1) never exit 0.
    judged = bool(plan.thresholds) or args.junit is not None or args.summary_json is not None
    if not args.quiet:
        headline = f"No response: {verdict.cause}" if verdict.status is Status.NO_RESPONSE else ""
        waiting = waiting_at_end_text(result)
        notes = ((waiting,) if waiting else ()) + tuple(
            f"Lost: {lost.describe()}" for lost in result.lost_workers
        )
        if recorder is not None:
            notes += (server_text(recorder),)
        print_summary(result, sys.stdout, headline=headline, notes=notes)
        print_verdict(plan, result, verdict, sys.stdout, judged=judged)
    if reports:
        write_ci_reports(result, verdict, junit=args.junit, summary_json=args.summary_json)
    if verdict.status in (Status.INTERRUPTED, Status.NO_RESPONSE):
        return verdict.exit_code
    return verdict.exit_code if judged else EXIT_OK


def _recorder(target: str | None, out: Path) -> MetricsRecorder | None:
    """The metrics file's writer for --monitor TARGET (checked before any load by ``check_outputs``)."""
    if target is None:
        return None
    from surge.monitor.record import MetricsRecorder, metrics_path, sampler_for

    return MetricsRecorder(metrics_path(out), sampler_for(target))


def _build_report(results: Path, out_dir: Path, force: bool, quiet: bool) -> None:
    """The dashboard of this run, as ``surge report RESULTS -o DIR`` builds it."""
    from surge.report.build import build_report
    from surge.report.options import ReportOptions

    build_report([results], out_dir, ReportOptions(), force=force)
    if not quiet:
        print(f"Report: {out_dir / 'index.html'}", flush=True)


def _print_notice(text: str) -> None:
    print(f"surge run: {text}", file=sys.stderr, flush=True)


def _check_new_file(path: str, force: bool) -> None:
    """Refuse to overwrite an existing results file unless --force (as ``surge report -o`` refuses)."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"cannot write results to {path}: it is a directory")
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(f"{path} exists: choose another -o, or add --force to overwrite it")


def _check_writable(path: str | None, what: str) -> None:
    """Refuse an unwritable report path before the run, not after it."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir() or not target.parent.is_dir():
        raise UsageError(f"cannot write the {what} to {path}: not a file in an existing folder")
