"""``surge demo``: serve the demo app, load-test it for about 30 s and write the HTML report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surge.cli.argtypes import int_arg
from surge.errors import EXIT_INTERRUPTED, EXIT_OK
from surge.serve.profiles import GUNICORN_MODES
from surge.units import format_duration_s, parse_duration_s


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
        "--ramp-up", default="10s", metavar="DURATION", help="start users over this time (10s)"
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
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from surge.cli.run_display import LiveLine, print_summary
    from surge.demo.showcase import DemoOptions, run_demo
    from surge.serve.launch import RunningServer
    from surge.serve.options import ServePlan

    options = DemoOptions(
        duration_s=parse_duration_s(args.duration),
        users=args.users,
        ramp_up_s=parse_duration_s(args.ramp_up),
        mode=args.mode,
        workers=args.workers,
        out_dir=args.out,
    )
    live = LiveLine(sys.stderr)

    def serving(plan: ServePlan, server: RunningServer) -> None:
        print(
            f"surge demo: serving {plan.options.app} on {plan.url} under gunicorn --mode {plan.options.mode},"
            f" {plan.workers} workers ({plan.workers_reason}), master pid {server.master_pid}"
        )
        print(
            f"surge demo: {options.users} users ramping up over {format_duration_s(options.ramp_up_s)},"
            f" for {format_duration_s(options.duration_s)}: /, /io?ms=50, /predict, /cpu?n=20000 and /health"
            " (Ctrl-C ends the run early)",
            flush=True,
        )

    def reporting() -> None:
        live.close()
        print("surge demo: server stopped; building the report", flush=True)

    result = run_demo(options, on_serving=serving, on_progress=live.show, on_report=reporting)
    print_summary(result.run, sys.stdout)
    print(f"Report: {result.report.index_html.resolve()}")
    print(f"Server logs: {result.serve_plan.log_dir}")
    return EXIT_INTERRUPTED if result.run.interrupted else EXIT_OK
