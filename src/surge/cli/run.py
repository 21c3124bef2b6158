"""``surge run``: generate HTTP load against URLs and record every sample in a JTL file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from surge.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from surge.plan import ClientOptions, LoadModel, Plan, Request, ThinkTime, UserGroup
from surge.units import parse_duration_s

DEFAULT_DURATION_S = 10.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="generate HTTP load and record every sample (JMeter JTL)",
        description="Generate HTTP load with virtual users and write every sample to a JMeter JTL CSV "
        "file. Each user has its own keep-alive connection and cycles through the URLs in order.",
    )
    parser.add_argument("urls", nargs="+", metavar="URL", help="http:// or https:// URL (several: a journey)")
    parser.add_argument("-u", "--users", type=_int, default=1, metavar="N", help="virtual users (default 1)")
    parser.add_argument(
        "--ramp-up", default="0", metavar="DURATION", help="start users evenly over this time"
    )
    parser.add_argument(
        "-d",
        "--duration",
        metavar="DURATION",
        help=f"run length, e.g. 30s, 2m (default {DEFAULT_DURATION_S:g}s unless -n is given)",
    )
    parser.add_argument(
        "-n",
        "--iterations",
        type=_int,
        metavar="N",
        help="passes over the URLs per user (with -d: whichever ends first)",
    )
    parser.add_argument(
        "--think-time",
        default="0",
        metavar="TIME",
        help="pause after each request: 200ms, or a range 100ms-500ms",
    )
    parser.add_argument("-X", "--method", help="HTTP method (default GET, POST with a body)")
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="request header (repeatable)",
    )
    body = parser.add_mutually_exclusive_group()
    body.add_argument("--body", help="request body (text)")
    body.add_argument("--body-file", metavar="PATH", help="request body read from a file")
    parser.add_argument(
        "--timeout",
        default="30s",
        metavar="DURATION",
        help="connect timeout and read timeout (no byte for that long), default 30s",
    )
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        help="sample label (default: method + path); once for all URLs or once per URL",
    )
    parser.add_argument(
        "-p",
        "--processes",
        type=_int,
        metavar="N",
        help="worker processes (default: one per core, at most one per user)",
    )
    parser.add_argument(
        "-o",
        "--out",
        default="results.jtl",
        metavar="PATH",
        help="results file, JMeter JTL CSV (default results.jtl)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no live line and no summary table")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument(
        "--ok-status",
        metavar="LIST",
        help="statuses that count as success, e.g. 200-299,404 (default: below 400)",
    )
    parser.set_defaults(handler=handle)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from exc


def build_plan(args: argparse.Namespace) -> Plan:
    """Turn parsed arguments into a validated Plan (raises UsageError)."""
    if args.processes is not None and args.processes < 1:
        raise UsageError(f"processes must be at least 1 (got {args.processes})")
    duration_s = parse_duration_s(args.duration) if args.duration is not None else None
    if duration_s is None and args.iterations is None:
        duration_s = DEFAULT_DURATION_S
    body = b""
    if args.body is not None:
        body = args.body.encode("utf-8")
    elif args.body_file is not None:
        try:
            body = Path(args.body_file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read body file {args.body_file}: {exc.strerror or exc}") from exc
    has_body = args.body is not None or args.body_file is not None
    method = (args.method or ("POST" if has_body else "GET")).upper()
    headers = tuple(_parse_header(h) for h in args.header)
    labels: list[str] = args.label
    if len(labels) not in (0, 1, len(args.urls)):
        raise UsageError(f"give --label once, or once per URL ({len(args.urls)}), not {len(labels)} times")
    requests = []
    for i, url in enumerate(args.urls):
        label = labels[0] if len(labels) == 1 else labels[i] if labels else ""
        requests.append(Request(url=url, method=method, headers=headers, body=body, label=label))
    load = LoadModel(
        users=args.users,
        ramp_up_s=parse_duration_s(args.ramp_up),
        duration_s=duration_s,
        iterations=args.iterations,
        think_time=ThinkTime.parse(args.think_time),
    )
    ok_statuses = ClientOptions.parse_ok_statuses(args.ok_status) if args.ok_status else None
    client = ClientOptions(
        timeout_s=parse_duration_s(args.timeout), insecure=args.insecure, ok_statuses=ok_statuses
    )
    return Plan(groups=(UserGroup(requests=tuple(requests), load=load),), client=client)


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"invalid header {text!r} (expected 'Name: value')")
    return name.strip(), value.strip()


def handle(args: argparse.Namespace) -> int:
    # Imported here so that `surge --help` and the other commands do not pay for the engine.
    from surge.cli.run_display import LiveLine, print_summary
    from surge.engine.runner import run_plan

    plan = build_plan(args)
    live = None if args.quiet else LiveLine(sys.stderr)
    result = run_plan(
        plan, Path(args.out), processes=args.processes, on_progress=live.show if live is not None else None
    )
    if live is not None:
        live.close()
    if not args.quiet:
        print_summary(result, sys.stdout)
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK
