"""``surge run -f PLAN.jmx``: load a JMeter test plan, list it (--dry-run), refuse it, or run its phases.

Properties come from ``--property-file`` (Java properties lines) then ``-J NAME=VALUE`` (which
wins), as ``jmeter -q`` and ``-J``. A plan whose setUp or tearDown Thread Groups, or "Run Thread
Groups consecutively", split it into phases runs them one after the other, each with its own
summary, into one results file (see ``surge.scenario.jmx.plans``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from surge.engine.redirects import parse_connect_to
from surge.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from surge.plan import ClientOptions
from surge.units import parse_duration_s

# Options a .jmx plan may take from the command line (the plan sets the others).
_ALLOWED = {"-d", "--timeout", "--ok-status"}


def handle_jmx(args: argparse.Namespace) -> int:
    from surge.cli.run_execute import check_outputs, execute, finish_outputs
    from surge.cli.run_options import request_and_load_options, with_run_options
    from surge.results.jtl_write import merge_parts
    from surge.scenario.jmx.listing import listing_json, listing_text
    from surge.scenario.jmx.plans import (
        SessionChoices,
        check_data_files,
        ignored_line,
        refusal_lines,
        to_phases,
    )
    from surge.scenario.jmx.resolve import load_jmx

    if args.urls:
        raise UsageError("give URLs or a JMeter plan (-f PLAN.jmx), not both: the plan names its URLs")
    given = [name for name, value in request_and_load_options(args) if value and name not in _ALLOWED]
    if given:
        raise UsageError(f"{', '.join(given)}: set in the JMeter plan, not on the command line")
    if args.json and not args.dry_run:
        raise UsageError("--json goes with --dry-run")
    data_dir = Path(args.data_dir) if args.data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise UsageError(f"--data-dir {args.data_dir}: not a folder")
    properties = read_properties(args.property_file, args.jmeter_properties)
    plan = load_jmx(Path(args.file), properties, data_dir)
    if args.dry_run:
        print(listing_json(plan) if args.json else listing_text(plan))
        return EXIT_USAGE if plan.refused else EXIT_OK
    refused = refusal_lines(plan)
    if refused:
        for line in refused:
            print(f"surge run: refused: {line}", file=sys.stderr)
        print(
            f"surge run: error: {len(refused)} element(s) above would change what the plan does: "
            "see docs/jmeter-plans.md (--dry-run lists the plan)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    check_data_files(plan)
    connect_to = tuple(parse_connect_to(text) for text in args.connect_to)
    choices = SessionChoices(args.cookies, args.follow_redirects, args.max_redirects, connect_to)
    cap_s = parse_duration_s(args.duration) if args.duration is not None else None
    phases = to_phases(plan, _client_options(args), choices, cap_s)
    check_outputs(args)
    warning = ignored_line(plan)  # once the run is sure to go: bad input stays one line
    if warning:
        print(f"surge run: warning: {warning}", file=sys.stderr)
    out = Path(args.out)
    if len(phases) == 1:
        code = execute(with_run_options(phases[0].plan, args), args, out)
        finish_outputs(args)
        return code
    parts: list[Path] = []
    code = EXIT_OK
    for index, phase in enumerate(phases, start=1):
        part = out.with_name(f".{out.name}.phase{index}.jtl")
        part.unlink(missing_ok=True)
        parts.append(part)
        phase_plan = with_run_options(phase.plan, args) if phase.main else phase.plan
        heading = f"== {phase.title} (phase {index} of {len(phases)})"
        phase_code = execute(phase_plan, args, part, heading=heading, reports=phase.main)
        if phase_code == EXIT_INTERRUPTED:
            code = EXIT_INTERRUPTED
            break
        if phase.main and code == EXIT_OK:
            code = phase_code
    merge_parts(parts, out)
    finish_outputs(args)
    return code


def _client_options(args: argparse.Namespace) -> ClientOptions:
    kwargs: dict[str, object] = {"insecure": args.insecure}
    if args.timeout is not None:
        kwargs["timeout_s"] = parse_duration_s(args.timeout)
    if args.ok_status is not None:
        kwargs["ok_statuses"] = ClientOptions.parse_ok_statuses(args.ok_status)
    return ClientOptions(**kwargs)  # type: ignore[arg-type]


def read_properties(files: list[str], pairs: list[str]) -> dict[str, str]:
    """Properties from Java properties files, then ``NAME=VALUE`` pairs (later ones win)."""
    properties: dict[str, str] = {}
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read property file {name}: {exc.strerror or exc}") from exc
        properties.update(parse_properties(text))
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-J {pair!r}: give NAME=VALUE")
        properties[key.strip()] = value
    return properties


def parse_properties(text: str) -> dict[str, str]:
    """Java properties: ``key=value``, ``key: value`` or ``key value``; ``#``, ``!`` comments.

    A line ending in a backslash goes on on the next line; backslash escapes (``\\t``) are read.
    """
    out: dict[str, str] = {}
    logical = ""
    for raw in text.splitlines():
        line = raw.lstrip() if not logical else raw.strip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        logical += line
        key, value = _split_property(logical)
        out[key] = value
        logical = ""
    if logical:
        key, value = _split_property(logical)
        out[key] = value
    return out


def _split_property(line: str) -> tuple[str, str]:
    for i, ch in enumerate(line):
        if ch in "=:" or ch.isspace():
            rest = line[i + 1 :].lstrip()
            if ch.isspace() and rest[:1] in ("=", ":"):
                rest = rest[1:].lstrip()
            return line[:i], _unescape(rest)
    return line, ""


def _unescape(value: str) -> str:
    replacements = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(replacements.get(value[i + 1], value[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
