"""What ``surge run``'s command line adds to any plan, and which of its options a plan file defines.

Shared by plans built from URLs and files (``surge.cli.run``) and JMeter plans (``surge.cli.run_jmx``).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from surge.plan import Plan
from surge.units import parse_duration_s


def with_run_options(plan: Plan, args: argparse.Namespace) -> Plan:
    """The command line's thresholds, --abort-on-fail and --graceful-stop added to a plan."""
    # Imported here: the thresholds module pulls in the engine's summary, which `surge --help` skips.
    from surge.verdict.thresholds import parse_thresholds

    thresholds = plan.thresholds + parse_thresholds(args.threshold)
    plan = replace(plan, thresholds=thresholds, abort_on_fail=plan.abort_on_fail or args.abort_on_fail)
    if args.graceful_stop is not None:
        plan = replace(plan, graceful_stop_s=parse_duration_s(args.graceful_stop))
    return plan


def request_and_load_options(args: argparse.Namespace) -> list[tuple[str, bool]]:
    """Options a plan file defines itself, and whether each was given."""
    return [
        ("-u", args.users is not None),
        ("--ramp-up", args.ramp_up is not None),
        ("-d", args.duration is not None),
        ("-n", args.iterations is not None),
        ("--think-time", args.think_time is not None),
        ("-X", args.method is not None),
        ("-H", bool(args.header)),
        ("--body", args.body is not None or args.body_file is not None),
        ("--label", bool(args.label)),
        ("--timeout", args.timeout is not None),
        ("--ok-status", args.ok_status is not None),
        ("--rate", args.rate is not None),
        ("--stages", args.stages is not None),
        ("--max-in-flight", args.max_in_flight is not None),
    ]
