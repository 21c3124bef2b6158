"""``surge tune MODULE:APP``: measure which deployment serves the app best on this machine."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from surge.cli.argtypes import default_of, int_arg
from surge.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_INVALID_RUN,
    EXIT_OK,
    EXIT_THRESHOLDS_FAILED,
    UsageError,
)
from surge.tune.options import TuneOptions
from surge.units import format_duration_s, parse_duration_s

_DEFAULT_CONFIG = "gunicorn.conf.py"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="measure which gunicorn mode, workers and threads serve an app best on this machine",
        description="Serve MODULE:APP under each candidate deployment (gunicorn sync, gthread, gevent; "
        "workers, threads, connections) on a free loopback port, find the highest request rate that "
        "still meets the SLO for each, and recommend one, with the exact surge serve command. The "
        "server and the load generator run on separate cores when there are two or more. Writes an "
        "HTML page (-o). Exit codes: 0 a recommendation, 1 every candidate failed, 2 bad input, "
        "3 no candidate met the SLO, 4 only the load generator's limit was found, 130 interrupted. "
        "See docs/tune.md.",
    )
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, for example surge.demo:app")
    load = parser.add_argument_group("load (one of)")
    load.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="PATH",
        help="GET this path of the app at an arrival rate (repeatable: the paths take turns; default /)",
    )
    load.add_argument(
        "-f", "--file", type=Path, metavar="PLAN.toml", help="scenario file; its base_url is the served app"
    )
    load.add_argument(
        "-s",
        "--script",
        type=Path,
        metavar="SCENARIO.py",
        help="Python users; their base URL is the served app",
    )
    parser.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="EXPR",
        help="service level to meet, in surge run's threshold syntax, repeatable: 'p99<500ms',"
        " 'error_rate<1%%', 'GET /api:p95<200ms' (default p99<500ms; error_rate<1%% is added unless"
        " an error_rate is given)",
    )
    space = parser.add_argument_group("candidates")
    space.add_argument(
        "--modes",
        metavar="LIST",
        help=f"gunicorn modes to compare (default {_listed(default_of(TuneOptions, 'modes'))})",
    )
    space.add_argument(
        "--max-workers",
        type=int_arg,
        metavar="N",
        help="workers from 1 to N (default 2 x the server's cores + 1)",
    )
    space.add_argument("--workers", metavar="LIST", help="exactly these worker counts, e.g. 1,2,4")
    space.add_argument(
        "--threads",
        metavar="LIST",
        help=f"gthread threads per worker ({_listed(default_of(TuneOptions, 'threads'))})",
    )
    space.add_argument(
        "--worker-connections",
        metavar="LIST",
        help=f"gevent connections per worker ({_listed(default_of(TuneOptions, 'worker_connections'))})",
    )
    space.add_argument(
        "--dev-server",
        action="store_true",
        help="also measure Flask's development server, as a reference row (never recommended)",
    )
    search = parser.add_argument_group("search")
    search.add_argument(
        "--budget",
        metavar="DURATION",
        help=f"wall time for the whole tune (default {_duration(default_of(TuneOptions, 'budget_s'))})",
    )
    search.add_argument(
        "--exhaustive",
        action="store_true",
        help="measure every candidate with long trials (the full grid) instead of the smart search",
    )
    search.add_argument(
        "--repeats",
        type=int_arg,
        metavar="N",
        help="times each leader is measured again, with long trials"
        f" (default {default_of(TuneOptions, 'repeats')})",
    )
    search.add_argument(
        "--generator-cores",
        type=int_arg,
        metavar="N",
        help="cores kept for the load generator (default 1, a quarter above 4 cores);"
        " the server gets the rest",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "-o",
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the HTML page (index.html) and the servers' logs"
        f" (default ./{default_of(TuneOptions, 'out_dir')})",
    )
    output.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    output.add_argument(
        "--write-config",
        nargs="?",
        const=_DEFAULT_CONFIG,
        type=Path,
        metavar="FILE",
        help=f"write the recommended deployment as a standalone gunicorn config (default {_DEFAULT_CONFIG})",
    )
    output.add_argument("--force", action="store_true", help="overwrite the --write-config file if it exists")
    output.add_argument(
        "-v", "--verbose", action="store_true", help="show every trial, not only each candidate"
    )
    parser.set_defaults(handler=handle)


def _listed(values: tuple[object, ...]) -> str:
    return ",".join(str(v) for v in values)


def _duration(seconds: float) -> str:
    return format_duration_s(seconds).replace("m00s", "m")


def options_from_args(args: argparse.Namespace) -> TuneOptions:
    from surge.tune.candidates import parse_int_list, parse_modes
    from surge.tune.load import LoadSource, path_requests

    sources = [
        name for name, value in (("--path", args.path), ("-f", args.file), ("-s", args.script)) if value
    ]
    if len(sources) > 1:
        raise UsageError(f"give one of --path, -f and -s, not {' and '.join(sources)}")
    if args.file is not None:
        source = LoadSource(plan_file=args.file)
    elif args.script is not None:
        source = LoadSource(script=args.script)
    else:
        source = LoadSource(requests=path_requests(tuple(args.path or ["/"])))
    # Only what was given is passed: every other value is TuneOptions' own default.
    given: dict[str, Any] = {}
    if args.modes is not None:
        given["modes"] = parse_modes(args.modes)
    if args.workers is not None:
        given["workers"] = parse_int_list(args.workers, "--workers")
    if args.threads is not None:
        given["threads"] = parse_int_list(args.threads, "--threads")
    if args.worker_connections is not None:
        given["worker_connections"] = parse_int_list(args.worker_connections, "--worker-connections")
    if args.budget is not None:
        given["budget_s"] = parse_duration_s(args.budget)
    if args.repeats is not None:
        given["repeats"] = args.repeats
    if args.out is not None:
        given["out_dir"] = args.out
    return TuneOptions(
        app=args.app,
        source=source,
        slo=tuple(args.slo),
        max_workers=args.max_workers,
        dev_server=args.dev_server,
        exhaustive=args.exhaustive,
        generator_cores=args.generator_cores,
        **given,
    )


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable output paths before the tune, not after it."""
    for path, what in ((args.json, "--json"), (args.write_config, "--write-config")):
        if path is None:
            continue
        if path.is_dir() or not path.resolve().parent.is_dir():
            raise UsageError(f"cannot write {what} {path}: not a file in an existing folder")
    config = args.write_config
    if config is not None and config.exists() and not args.force:
        raise UsageError(
            f"{config} exists: choose another --write-config path, or add --force to overwrite it"
        )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def handle(args: argparse.Namespace) -> int:
    from surge.tune.document import write_json
    from surge.tune.session import plan_tune

    options = options_from_args(args)
    _check_outputs(args)
    plan = plan_tune(options)  # every check before any server starts: bad input is exit 2
    result, document = tune_and_print(plan, verbose=args.verbose)
    if args.json is not None:
        write_json(args.json, document)
        print(f"JSON: {args.json}")
    chosen = result.ranking.recommendation
    if args.write_config is not None:
        if chosen is None:
            print(f"No config written to {args.write_config}: there is no recommendation.", file=sys.stderr)
        else:
            _write_config(args.write_config, plan.options.app, chosen.candidate)
            print(
                f"gunicorn config: {args.write_config} (gunicorn -c {args.write_config} {plan.options.app})"
            )
    sys.stdout.flush()
    return exit_code(result)


def tune_and_print(
    plan: Any, *, verbose: bool = False, prefix: str = "surge tune"
) -> tuple[Any, dict[str, Any]]:
    """Run a planned tune, printing progress on stderr, then the ranking, the recommendation and
    the page's path on stdout; returns the result and its JSON document (``surge demo`` uses it too)."""
    from surge.tune.document import tune_document
    from surge.tune.html import render_page
    from surge.tune.session import run_tune
    from surge.tune.text import (
        header_lines,
        measurement_line,
        ranking_notes,
        ranking_table,
        recommendation_lines,
        summary_line,
        trial_line,
    )

    for line in header_lines(plan, prefix=prefix):
        print(line, flush=True)
    unit = plan.load.level_unit

    def on_trial(candidate: Any, trial: Any) -> None:
        if verbose:
            print(trial_line(candidate, trial, unit), file=sys.stderr, flush=True)

    def on_measured(measurement: Any) -> None:
        print(measurement_line(measurement, unit), file=sys.stderr, flush=True)

    # SIGTERM ends the tune as Ctrl-C does: the server being measured is stopped, the rest printed.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        result = run_tune(plan, on_trial=on_trial, on_measured=on_measured)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print()
    print(ranking_table(result.ranking, closed=plan.load.closed))
    notes = ranking_notes(result.ranking)
    if notes:
        print("Notes:")
        for note in notes:
            print(note)
    print(summary_line(result))
    for line in recommendation_lines(result):
        print(line)
    document = tune_document(result)
    index = render_page(plan.out_dir, result, document)
    print(f"Page: {index}", flush=True)
    return result, document


def _write_config(path: Path, app: str, candidate: Any) -> None:
    from surge.errors import SurgeError
    from surge.serve.conffile import render_config
    from surge.serve.options import ServeOptions, plan_serve

    options = ServeOptions(
        app=app,
        mode=candidate.mode,
        workers=candidate.workers,
        threads=candidate.threads,
        worker_connections=candidate.worker_connections,
    )
    try:
        path.write_text(render_config(plan_serve(options)), encoding="utf-8")
    except OSError as exc:
        raise SurgeError(f"cannot write {path}: {exc.strerror or exc}") from exc


def exit_code(result: Any) -> int:
    from surge.tune.measure import Status

    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.ranking.recommendation is not None:
        return EXIT_OK
    statuses = {r.status for r in result.ranking.results}
    if Status.GENERATOR_LIMITED in statuses:
        return EXIT_INVALID_RUN
    if Status.SLO_NOT_MET in statuses or result.ranking.closest is not None:
        return EXIT_THRESHOLDS_FAILED
    return EXIT_FAILURE
