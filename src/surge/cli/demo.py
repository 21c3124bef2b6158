"""``surge demo``: serve the demo app, load-test it for about 30 s and write the HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surge.cli.argtypes import int_arg
from surge.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from surge.serve.profiles import GUNICORN_MODES
from surge.units import format_duration_s, parse_duration_s

DEFAULT_TUNE_BUDGET = "60s"


def _positive_int(text: str) -> int:
    value = int_arg(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="serve the demo app, load-test it and write the HTML report (no arguments needed)",
        description="The whole toolkit in one command: serve surge.demo:app under gunicorn (gevent) on "
        "a free loopback port, run users ramping up over a mix of its endpoints, stop the server, "
        "print the summary and write the HTML report.",
    )
    parser.add_argument("-d", "--duration", default="30s", metavar="DURATION", help="load test length (30s)")
    parser.add_argument("-u", "--users", type=_positive_int, default=20, help="virtual users (default 20)")
    parser.add_argument(
        "--ramp-up",
        metavar="DURATION",
        help="start users over this time (default 10s, or a third of a duration under 30s)",
    )
    parser.add_argument(
        "--mode",
        choices=GUNICORN_MODES,
        default="gevent",
        help="gunicorn mode to serve with (default gevent)",
    )
    parser.add_argument("-w", "--workers", type=_positive_int, help="gunicorn workers (default auto)")
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("surge-demo"),
        metavar="DIR",
        help="folder for results.jtl, report/ and the server's logs (default ./surge-demo)",
    )
    parser.add_argument(
        "--tune",
        nargs="?",
        const=DEFAULT_TUNE_BUDGET,
        metavar="BUDGET",
        help="after the load test, run a short surge tune of the demo app with the same mix of"
        f" requests, for BUDGET (default {DEFAULT_TUNE_BUDGET}); its page goes to OUT/tune",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from surge.cli.run_display import LiveLine, print_summary
    from surge.demo.showcase import DemoOptions, plan_demo, run_demo
    from surge.engine.runner import RunResult
    from surge.serve.launch import RunningServer
    from surge.serve.options import ServePlan

    options = DemoOptions(
        duration_s=parse_duration_s(args.duration),
        users=args.users,
        ramp_up_s=parse_duration_s(args.ramp_up) if args.ramp_up is not None else None,
        mode=args.mode,
        workers=args.workers,
        out_dir=args.out,
    )
    plan = plan_demo(options)  # every check before anything starts: bad input is exit 2, no server
    tune_plan = _plan_demo_tune(args.tune, plan.out_dir) if args.tune is not None else None
    live = LiveLine(sys.stderr)

    def serving(serve_plan: ServePlan, server: RunningServer) -> None:
        noun = "worker" if serve_plan.workers == 1 else "workers"
        print(
            f"surge demo: serving {serve_plan.options.app} on {serve_plan.url} under gunicorn"
            f" --mode {serve_plan.options.mode}, {serve_plan.workers} {noun} ({serve_plan.workers_reason}),"
            f" master pid {server.master_pid}"
        )
        print(
            f"surge demo: {options.users} users ramping up over"
            f" {format_duration_s(options.effective_ramp_up_s)}, for {format_duration_s(options.duration_s)}:"
            " /, /io?ms=50, /predict, /cpu?n=20000 and /health (Ctrl-C ends the run early)",
            flush=True,
        )

    def run_done(run: RunResult) -> None:
        # The summary first: it is the answer; the report takes a few seconds more.
        live.close()
        print_summary(run, sys.stdout)
        print("surge demo: server stopped; building the report", flush=True)

    result = run_demo(plan, on_serving=serving, on_progress=live.show, on_run_done=run_done)
    print(f"Report: {result.report.index_html.resolve()}")
    print(f"Server logs: {result.serve_plan.log_dir}", flush=True)
    if result.run.interrupted:
        return EXIT_INTERRUPTED
    if tune_plan is None:
        return EXIT_OK
    from surge.cli.tune import exit_code, tune_and_print

    print()
    tuned, _ = tune_and_print(tune_plan, prefix="surge demo --tune")
    # The demo's load test succeeded; the tune's own outcome decides the rest (130, 3, ...).
    return exit_code(tuned)


def _plan_demo_tune(budget: str, out_dir: Path) -> Any:
    """A short tune of the demo app, checked before the demo starts: its journey's requests in turn,
    workers 1-2, a few threads, gevent's default connections."""
    from surge.demo.showcase import DEMO_APP, JOURNEY
    from surge.tune.load import LoadSource, RequestSpec
    from surge.tune.options import MIN_BUDGET_S, TuneOptions
    from surge.tune.session import plan_tune

    budget_s = parse_duration_s(budget)
    if budget_s < MIN_BUDGET_S:
        raise UsageError(f"--tune {budget}: the tune needs at least {MIN_BUDGET_S:g}s")
    requests = tuple(RequestSpec(s.path, s.method, s.headers, s.body, s.label) for s in JOURNEY)
    options = TuneOptions(
        app=DEMO_APP,
        source=LoadSource(requests=requests),
        workers=(1, 2),
        threads=(4, 16),
        worker_connections=(1000,),
        budget_s=budget_s,
        repeats=1,
        out_dir=out_dir / "tune",
    )
    return plan_tune(options)
