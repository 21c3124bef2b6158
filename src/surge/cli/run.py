"""``surge run``: generate HTTP load against URLs and record every sample in a JTL file."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surge.cli.argtypes import default_of, int_arg
from surge.cli.run_options import request_and_load_options, with_run_options
from surge.engine.redirects import SessionOptions, parse_connect_to
from surge.errors import UsageError
from surge.plan import (
    DEFAULT_DURATION_S,
    ClientOptions,
    LoadModel,
    Plan,
    Request,
    ThinkTime,
    UserGroup,
    parse_stages,
)
from surge.units import parse_duration_s

if TYPE_CHECKING:
    pass


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="generate HTTP load and record every sample (JMeter JTL)",
        description="Generate HTTP load with virtual users (closed model) or at an arrival rate (open "
        "model) and write every sample to a JMeter JTL CSV file. Load comes from URLs and options, a "
        "scenario file (-f), a JMeter test plan (-f PLAN.jmx) or a Python module (-s). Exit codes: 0 "
        "passed, 1 no request got a response (or the run could not go on), 2 bad input, 3 thresholds "
        "failed, 4 invalid run (the generator was the bottleneck; only when thresholds, --junit or "
        "--summary-json ask for a verdict), 130 interrupted.",
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="http:// or https:// URL (several: a journey)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "-f",
        "--file",
        metavar="PLAN",
        help="scenario file (PLAN.toml, see docs/scenarios.md) or JMeter test plan (PLAN.jmx, see "
        "docs/jmeter-plans.md)",
    )
    source.add_argument(
        "-s", "--script", metavar="SCENARIO.py", help="Python module with an async user function"
    )
    parser.add_argument(
        "-u",
        "--users",
        type=int_arg,
        metavar="N",
        help=f"virtual users (default {default_of(LoadModel, 'users')})",
    )
    parser.add_argument(
        "--ramp-up",
        metavar="DURATION",
        help=f"start users evenly over this time (default {default_of(LoadModel, 'ramp_up_s'):g}s)",
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
        type=int_arg,
        metavar="N",
        help="passes over the URLs per user (with -d: whichever ends first)",
    )
    parser.add_argument(
        "--think-time",
        metavar="TIME",
        help="pause after each request: 200ms, or a range 100ms-500ms (default none)",
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
        metavar="DURATION",
        help="connect timeout and read timeout (no byte for that long), "
        f"default {default_of(ClientOptions, 'timeout_s'):g}s",
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
        type=int_arg,
        metavar="N",
        help="worker processes (default: one per core, at most one per user); with --cluster, surge "
        "workers in all (default: one per worker thread of the cluster)",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler address (tcp://HOST:8786, tls://...) or local:N for a "
        "local cluster of N worker processes (see docs/cluster.md)",
    )
    parser.add_argument(
        "-o",
        "--out",
        default="results.jtl",
        metavar="PATH",
        help="results file, JMeter JTL CSV (default results.jtl)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the results file (-o) if it exists (default: refuse)"
    )
    parser.add_argument(
        "--graceful-stop",
        metavar="DURATION",
        help=f"after the duration, how long requests still waiting may take before they are recorded "
        f"as failed (default {default_of(Plan, 'graceful_stop_s'):g}s)",
    )
    parser.add_argument(
        "--monitor",
        metavar="TARGET",
        help="record the server's CPU, memory, threads and connections each second: TARGET is the pidfile "
        "of surge serve (master and every worker) or a PID (it and its children); written to "
        "RESULTS.metrics.csv beside the results file, with the machine's and the generator's CPU",
    )
    parser.add_argument(
        "--report",
        metavar="DIR",
        help="build the HTML dashboard from the results at the end of the run (as surge report; "
        "with the Server page when --monitor is given)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no live view and no summary table")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument(
        "--ok-status",
        metavar="LIST",
        help="statuses that count as success, e.g. 200-299,404 (default: below 400)",
    )
    session = parser.add_argument_group(
        "cookies, redirects, connections (cookies and redirects are on by default for -f and -s; "
        "a URL run turns them on with the options)"
    )
    session.add_argument(
        "--cookies",
        action=argparse.BooleanOptionalAction,
        help="keep a cookie jar per user, as a browser does (RFC 6265)",
    )
    session.add_argument(
        "--follow-redirects",
        action=argparse.BooleanOptionalAction,
        help="follow 301/302/303/307/308 responses, recorded as JMeter does (label, then label-0, label-1..);"
        " a .jmx plan: as its samplers say",
    )
    session.add_argument(
        "--max-redirects",
        type=int_arg,
        metavar="N",
        help="redirects followed per request before it fails "
        f"(default {default_of(SessionOptions, 'max_redirects')})",
    )
    session.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST:PORT:TO_HOST:TO_PORT",
        help="send requests for HOST:PORT to TO_HOST:TO_PORT instead, as curl's --connect-to (the Host "
        "header and TLS name stay HOST's): run a plan against a local copy of a service (repeatable)",
    )
    jmx = parser.add_argument_group("JMeter test plans (-f PLAN.jmx)")
    jmx.add_argument(
        "-J",
        dest="jmeter_properties",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a property for ${__P(NAME)} and ${__property(NAME)}, as jmeter -J (repeatable)",
    )
    jmx.add_argument(
        "--property-file",
        action="append",
        default=[],
        metavar="PATH",
        help="properties file (NAME=VALUE lines, as jmeter -q); -J wins over it (repeatable)",
    )
    jmx.add_argument(
        "--data-dir",
        metavar="FOLDER",
        help="where to find the plan's CSV and body files by name when their paths are not here",
    )
    jmx.add_argument(
        "--dry-run",
        action="store_true",
        help="print the resolved plan (groups, requests, unsupported elements) and send nothing",
    )
    jmx.add_argument("--json", action="store_true", help="with --dry-run: print it as JSON")
    open_model = parser.add_argument_group("open model (arrival rate)")
    open_model.add_argument(
        "--rate", type=float, metavar="R", help="requests per second for the whole run (all processes)"
    )
    open_model.add_argument(
        "--stages",
        metavar="LIST",
        help="ramp the rate linearly, e.g. 30s:100,1m:500 (duration:rate reached at its end)",
    )
    open_model.add_argument(
        "--max-in-flight",
        type=int_arg,
        metavar="N",
        help=f"cap on requests outstanding at once (default {default_of(LoadModel, 'max_in_flight')}); "
        "the rest queue, late",
    )
    verdict = parser.add_argument_group("verdict (CI)")
    verdict.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="pass/fail criterion, repeatable: p95<300ms, error_rate<1%%, rps>500, 'GET /api:p99<1s'",
    )
    verdict.add_argument(
        "--abort-on-fail", action="store_true", help="stop the run as soon as a threshold has failed for good"
    )
    verdict.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (one case per threshold)")
    verdict.add_argument("--summary-json", metavar="FILE", help="write a machine-readable summary")
    parser.set_defaults(handler=handle)


def build_plan(args: argparse.Namespace) -> Plan:
    """Turn parsed arguments into a validated Plan (raises UsageError)."""
    if args.processes is not None and args.processes < 1:
        raise UsageError(f"processes must be at least 1 (got {args.processes})")
    if args.file is not None or args.script is not None:
        plan = _plan_from_source(args)
    else:
        plan = _plan_from_urls(args)
    plan = _session_options(args, plan)
    return with_run_options(plan, args)


def is_jmx(args: argparse.Namespace) -> bool:
    return args.file is not None and args.file.lower().endswith(".jmx")


def _session_options(args: argparse.Namespace, plan: Plan) -> Plan:
    """Cookies and redirects as the command line asks (``surge.scenario.sessions``)."""
    from surge.scenario.sessions import on_sessions, override_options

    given: dict[str, Any] = {}
    if args.cookies is not None:
        given["cookies"] = args.cookies
    if args.follow_redirects is not None:
        given["follow_redirects"] = args.follow_redirects
    if args.max_redirects is not None:
        given["max_redirects"] = args.max_redirects
    if args.connect_to:
        given["connect_to"] = tuple(parse_connect_to(text) for text in args.connect_to)
    if args.file is not None or args.script is not None:
        return override_options(plan, given)
    if not args.cookies and not args.follow_redirects and not args.connect_to:
        if args.max_redirects is not None:
            raise UsageError("--max-redirects applies when redirects are followed (--follow-redirects)")
        return plan
    options = SessionOptions(
        cookies=bool(args.cookies),
        follow_redirects=bool(args.follow_redirects),
        **({"max_redirects": args.max_redirects} if args.max_redirects is not None else {}),
    )
    return on_sessions(plan, options)


def _plan_from_source(args: argparse.Namespace) -> Plan:
    if args.file is not None:
        if args.urls:
            raise UsageError("give URLs or a scenario file (-f), not both: the file names its URLs")
        given = [name for name, value in request_and_load_options(args) if value]
        if given:
            raise UsageError(f"{', '.join(given)}: set in the scenario file with -f, not on the command line")
        from surge.scenario.plan_file import load_plan_file

        plan = load_plan_file(Path(args.file))
        if args.insecure:
            plan = replace(plan, client=replace(plan.client, insecure=True))
        return plan
    from surge.scenario.script import load_script_plan

    request_options = {"-X", "-H", "--body", "--label", "--rate", "--stages", "--max-in-flight"}
    given = [name for name, value in request_and_load_options(args) if value and name in request_options]
    if given:
        raise UsageError(f"{', '.join(given)}: not used with -s (the Python user makes its own requests)")

    if len(args.urls) > 1:
        raise UsageError("with -s, give at most one URL: the base of the scenario's relative URLs")
    base_url = args.urls[0] if args.urls else ""
    return load_script_plan(Path(args.script), _load_model(args), _client_options(args), base_url)


def _load_model(args: argparse.Namespace) -> LoadModel:
    duration_s = parse_duration_s(args.duration) if args.duration is not None else None
    is_open = args.rate is not None or args.stages is not None
    # Only what was given is passed: every other value is LoadModel's own default.
    given: dict[str, Any] = {}
    if args.users is not None:
        given["users"] = args.users
    if args.ramp_up is not None:
        given["ramp_up_s"] = parse_duration_s(args.ramp_up)
    if args.think_time is not None:
        given["think_time"] = ThinkTime.parse(args.think_time)
    if is_open:
        closed_only = [("-u", "users"), ("--ramp-up", "ramp_up_s"), ("--think-time", "think_time")]
        named = [option for option, name in closed_only if name in given]
        if named:
            raise UsageError(f"{', '.join(named)}: for users (closed model), not with --rate/--stages")
        if args.max_in_flight is not None:
            given["max_in_flight"] = args.max_in_flight
        return LoadModel(
            duration_s=duration_s if duration_s is not None or args.stages else DEFAULT_DURATION_S,
            iterations=args.iterations,
            rate_per_s=args.rate,
            stages=parse_stages(args.stages) if args.stages else (),
            **given,
        )
    if args.max_in_flight is not None:
        raise UsageError("--max-in-flight applies to an arrival rate (--rate or --stages)")
    if duration_s is None and args.iterations is None:
        duration_s = DEFAULT_DURATION_S
    return LoadModel(duration_s=duration_s, iterations=args.iterations, **given)


def _client_options(args: argparse.Namespace) -> ClientOptions:
    ok_statuses = ClientOptions.parse_ok_statuses(args.ok_status) if args.ok_status else None
    if args.timeout is None:
        return ClientOptions(insecure=args.insecure, ok_statuses=ok_statuses)
    return ClientOptions(
        timeout_s=parse_duration_s(args.timeout), insecure=args.insecure, ok_statuses=ok_statuses
    )


def _plan_from_urls(args: argparse.Namespace) -> Plan:
    if not args.urls:
        raise UsageError("give at least one URL, a scenario file (-f) or a Python scenario (-s)")
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
    group = UserGroup(requests=tuple(requests), load=_load_model(args))
    return Plan(groups=(group,), client=_client_options(args))


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"invalid header {text!r} (expected 'Name: value')")
    return name.strip(), value.strip()


def handle(args: argparse.Namespace) -> int:
    if is_jmx(args):
        from surge.cli.run_jmx import handle_jmx

        return handle_jmx(args)
    jmx_only = [
        name
        for name, given in (
            ("-J", args.jmeter_properties),
            ("--property-file", args.property_file),
            ("--data-dir", args.data_dir),
            ("--dry-run", args.dry_run),
        )
        if given
    ]
    if jmx_only:
        raise UsageError(f"{', '.join(jmx_only)}: for JMeter test plans (-f PLAN.jmx)")
    from surge.cli.run_execute import check_outputs, execute, finish_outputs

    plan = build_plan(args)
    check_outputs(args)
    code = execute(plan, args, Path(args.out))
    finish_outputs(args)
    return code
