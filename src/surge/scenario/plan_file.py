"""Load a TOML scenario file (``surge run -f``) into a validated Plan, or say ``file:line: what is wrong``.

The format is documented with a complete example in docs/scenarios.md. Every table's keys are
checked (an unknown key is an error, not ignored), URLs, regexes, JSON paths, CSV files and
references between sections are validated before any request is sent. This module reads the
plan's top level, feeders and groups; ``file_requests`` reads the requests and ``file_context``
locates errors.
"""

from __future__ import annotations

import csv
import tomllib
from functools import partial
from pathlib import Path
from typing import Any

from surge.engine.redirects import SessionOptions
from surge.errors import UsageError
from surge.plan import (
    DEFAULT_DURATION_S,
    DEFAULT_MAX_IN_FLIGHT,
    ClientOptions,
    LoadModel,
    Plan,
    Request,
    Stage,
    ThinkTime,
    UserGroup,
    parse_stages,
)
from surge.scenario.file_context import FileContext
from surge.scenario.file_requests import parse_request
from surge.scenario.flow import Flow
from surge.scenario.model import EXHAUSTED_MODES, FEEDER_MODES, Feeder, FlowRequest
from surge.scenario.toml_lines import Path as KeyPath
from surge.verdict.thresholds import parse_threshold

_TOP_KEYS = {"base_url", "duration", "timeout", "ok_status", "insecure", "thresholds", "abort_on_fail",
             "variables", "feeders", "requests", "groups", "user_agent", "cookies", "follow_redirects",
             "max_redirects"}  # fmt: skip
_FEEDER_KEYS = {"file", "mode", "on_exhausted", "delimiter"}
_GROUP_KEYS = {"name", "users", "ramp_up", "duration", "iterations", "journey", "pick", "think_time",
               "feeder", "rate", "stages", "max_in_flight"}  # fmt: skip


def load_plan_file(path: Path, *, base_url: str | None = None) -> Plan:
    """Read, parse and validate a scenario file; raises UsageError with ``file:line: what is wrong``.

    ``base_url`` replaces the file's own (``surge tune`` points relative URLs at the app it serves).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read scenario file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(_syntax_error(path, str(exc))) from exc
    if base_url is not None:
        document["base_url"] = base_url
    return _build(FileContext(path, text), document)


def _syntax_error(path: Path, message: str) -> str:
    # tomllib: "Expected '=' after a key in a key/value pair (at line 3, column 5)"
    head, sep, where = message.rpartition(" (at line ")
    if sep:
        line = where.split(",")[0].rstrip(")")
        return f"{path}:{line}: invalid TOML: {head}"
    return f"{path}: invalid TOML: {message}"


def _build(ctx: FileContext, doc: dict[str, Any]) -> Plan:
    ctx.check_keys(doc, _TOP_KEYS, (), "the plan")
    base_url = ctx.typed(doc.get("base_url", ""), str, ("base_url",), "base_url")
    if base_url:
        ctx.guard(("base_url",), lambda: Request(base_url))
    default_duration_s = ctx.duration(doc, "duration", ()) if "duration" in doc else None
    variables = ctx.typed(doc.get("variables", {}), dict, ("variables",), "[variables]")
    for name, value in variables.items():
        ctx.typed(value, str, ("variables", name), f"variable {name!r}")
    feeders = {
        name: _feeder(ctx, name, table)
        for name, table in ctx.typed(doc.get("feeders", {}), dict, ("feeders",), "[feeders]").items()
    }
    requests_table = ctx.typed(doc.get("requests", {}), dict, ("requests",), "[requests]")
    if not requests_table:
        raise ctx.error((), "the plan has no [requests.NAME] table")
    requests = {name: parse_request(ctx, name, table, base_url) for name, table in requests_table.items()}
    groups_list = ctx.typed(doc.get("groups", []), list, ("groups",), "[[groups]]")
    if not groups_list:
        raise ctx.error((), "the plan has no [[groups]] table (who sends the requests?)")
    options = _session_options(ctx, doc)
    groups = tuple(
        _group(ctx, i, table, requests, feeders, tuple(variables.items()), default_duration_s, options)
        for i, table in enumerate(groups_list)
    )
    names = [g.name for g in groups]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ctx.error(("groups", i, "name"), f"two groups are named {name!r}")
    client_kwargs: dict[str, Any] = {}
    if "timeout" in doc:
        client_kwargs["timeout_s"] = ctx.duration(doc, "timeout", ())
    if "ok_status" in doc:
        text = ctx.typed(doc["ok_status"], str, ("ok_status",), "ok_status")
        client_kwargs["ok_statuses"] = ctx.guard(
            ("ok_status",), lambda: ClientOptions.parse_ok_statuses(text)
        )
    if "insecure" in doc:
        client_kwargs["insecure"] = ctx.typed(doc["insecure"], bool, ("insecure",), "insecure")
    if "user_agent" in doc:
        client_kwargs["user_agent"] = ctx.typed(doc["user_agent"], str, ("user_agent",), "user_agent")
    client = ctx.guard((), lambda: ClientOptions(**client_kwargs))
    thresholds = []
    for i, text in enumerate(ctx.typed(doc.get("thresholds", []), list, ("thresholds",), "thresholds")):
        where = ("thresholds", i)
        threshold_text: str = ctx.typed(text, str, where, "a threshold")
        thresholds.append(ctx.guard(where, partial(parse_threshold, threshold_text)))
    abort = ctx.typed(doc.get("abort_on_fail", False), bool, ("abort_on_fail",), "abort_on_fail")
    return ctx.guard(
        (), lambda: Plan(groups=groups, client=client, thresholds=tuple(thresholds), abort_on_fail=abort)
    )


def _session_options(ctx: FileContext, doc: dict[str, Any]) -> SessionOptions:
    """``cookies``, ``follow_redirects`` and ``max_redirects`` (each user's cookie jar and redirects)."""
    given: dict[str, Any] = {}
    for key in ("cookies", "follow_redirects"):
        if key in doc:
            given[key] = ctx.typed(doc[key], bool, (key,), key)
    if "max_redirects" in doc:
        given["max_redirects"] = ctx.typed(doc["max_redirects"], int, ("max_redirects",), "max_redirects")
    return ctx.guard(("max_redirects",), lambda: SessionOptions(**given))


def _feeder(ctx: FileContext, name: str, table: Any) -> Feeder:
    where: KeyPath = ("feeders", name)
    ctx.check_keys(table, _FEEDER_KEYS, where, f"[feeders.{name}]")
    if "file" not in table:
        raise ctx.error(where, f"feeder {name!r} needs a file")
    file_text = ctx.typed(table["file"], str, (*where, "file"), "file")
    csv_path = Path(file_text)
    if not csv_path.is_absolute():
        csv_path = ctx.path.parent / csv_path  # relative to the plan file, wherever surge runs
    mode = ctx.typed(table.get("mode", "sequential"), str, (*where, "mode"), "mode")
    if mode not in FEEDER_MODES:
        raise ctx.error((*where, "mode"), f"unknown feeder mode {mode!r} (known: {', '.join(FEEDER_MODES)})")
    exhausted = ctx.typed(table.get("on_exhausted", "recycle"), str, (*where, "on_exhausted"), "on_exhausted")
    if exhausted not in EXHAUSTED_MODES:
        raise ctx.error(
            (*where, "on_exhausted"),
            f"unknown on_exhausted {exhausted!r} (known: {', '.join(EXHAUSTED_MODES)})",
        )
    delimiter = ctx.typed(table.get("delimiter", ","), str, (*where, "delimiter"), "delimiter")
    if len(delimiter) != 1:
        raise ctx.error((*where, "delimiter"), "delimiter must be one character")
    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=delimiter))
    except OSError as exc:
        raise ctx.error((*where, "file"), f"cannot read CSV file {csv_path}: {exc.strerror or exc}") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ctx.error((*where, "file"), f"bad CSV file {csv_path}: {exc}") from exc
    if not rows or not any(rows[0]):
        raise ctx.error((*where, "file"), f"CSV file {csv_path} is empty (its first line names the columns)")
    columns = tuple(c.strip() for c in rows[0])
    data = [tuple(row) for row in rows[1:] if row]
    if not data:
        raise ctx.error((*where, "file"), f"CSV file {csv_path} has a header but no rows")
    for number, row in enumerate(data, start=2):
        if len(row) != len(columns):
            raise ctx.error(
                (*where, "file"),
                f"{csv_path}:{number}: {len(row)} fields where the header has {len(columns)}",
            )
    return Feeder(name, str(csv_path), columns, tuple(data), mode, exhausted)


def _think_time(ctx: FileContext, value: Any, where: KeyPath) -> ThinkTime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ctx.guard(where, lambda: ThinkTime(float(value), float(value)))
    if isinstance(value, str):
        return ctx.guard(where, lambda: ThinkTime.parse(value))
    ctx.check_keys(value, {"mean", "stddev"}, where, "think_time (gaussian)")
    if set(value) != {"mean", "stddev"}:
        raise ctx.error(
            where, 'a gaussian think_time needs mean and stddev, e.g. { mean = "1s", stddev = "200ms" }'
        )
    mean_s = ctx.duration(value, "mean", where)
    stddev_s = ctx.duration(value, "stddev", where)
    return ctx.guard(where, lambda: ThinkTime.gaussian(mean_s, stddev_s))


def _group(
    ctx: FileContext,
    index: int,
    table: Any,
    requests: dict[str, FlowRequest],
    feeders: dict[str, Feeder],
    variables: tuple[tuple[str, str], ...],
    default_duration_s: float | None,
    options: SessionOptions,
) -> UserGroup:
    where: KeyPath = ("groups", index)
    ctx.check_keys(table, _GROUP_KEYS, where, "[[groups]]")
    name = ctx.typed(table.get("name", f"group{index + 1}"), str, (*where, "name"), "name")
    if "journey" in table and "pick" in table:
        raise ctx.error((*where, "pick"), "give journey or pick, not both")
    chosen: list[FlowRequest] = []
    weights: tuple[float, ...] | None = None
    if "pick" in table:
        pick = ctx.typed(table["pick"], dict, (*where, "pick"), "pick (a table of request = weight)")
        values = []
        for request_name, weight in pick.items():
            at = (*where, "pick", request_name)
            if request_name not in requests:
                raise ctx.error(at, f"unknown request {request_name!r} (defined: {', '.join(requests)})")
            ctx.typed(weight, (int, float), at, "a weight")
            if weight <= 0:
                raise ctx.error(at, f"weight must be positive (got {weight})")
            chosen.append(requests[request_name])
            values.append(float(weight))
        if not chosen:
            raise ctx.error((*where, "pick"), "pick names no request")
        weights = tuple(values)
    else:
        journey = ctx.typed(table.get("journey", list(requests)), list, (*where, "journey"), "journey")
        for i, request_name in enumerate(journey):
            at = (*where, "journey", i)
            ctx.typed(request_name, str, at, "a request name")
            if request_name not in requests:
                raise ctx.error(at, f"unknown request {request_name!r} (defined: {', '.join(requests)})")
            chosen.append(requests[request_name])
        if not chosen:
            raise ctx.error((*where, "journey"), "the journey is empty")
    feeder = None
    if "feeder" in table:
        feeder_name = ctx.typed(table["feeder"], str, (*where, "feeder"), "feeder")
        if feeder_name not in feeders:
            raise ctx.error(
                (*where, "feeder"),
                f"unknown feeder {feeder_name!r} (defined: {', '.join(feeders) or 'none'})",
            )
        feeder = feeders[feeder_name]
    think = (
        _think_time(ctx, table["think_time"], (*where, "think_time"))
        if "think_time" in table
        else ThinkTime()
    )
    load = _load(ctx, table, where, default_duration_s)
    if load.is_open:
        return _open_group(ctx, where, name, chosen, weights, feeder, load)
    flow = Flow(tuple(chosen), weights, feeder, think, variables, options)
    statics = tuple(r for r in (_static_request(c) for c in chosen) if r is not None)
    return ctx.guard(
        where,
        lambda: UserGroup(requests=statics, load=load, name=name, behaviour=flow),
    )


def _load(
    ctx: FileContext, table: dict[str, Any], where: KeyPath, default_duration_s: float | None
) -> LoadModel:
    duration_s = ctx.duration(table, "duration", where) if "duration" in table else None
    iterations = (
        ctx.typed(table["iterations"], int, (*where, "iterations"), "iterations")
        if "iterations" in table
        else None
    )
    if "rate" in table or "stages" in table:
        rate = ctx.typed(table["rate"], (int, float), (*where, "rate"), "rate") if "rate" in table else None
        stages: tuple[Stage, ...] = ()
        if "stages" in table:
            text = ctx.typed(table["stages"], str, (*where, "stages"), 'stages (e.g. "30s:100,1m:500")')
            stages = ctx.guard((*where, "stages"), lambda: parse_stages(text))
        if duration_s is None and not stages:
            duration_s = default_duration_s if default_duration_s is not None else DEFAULT_DURATION_S
        max_in_flight = ctx.typed(
            table.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT), int, (*where, "max_in_flight"), "max_in_flight"
        )
        return ctx.guard(
            where,
            lambda: LoadModel(
                duration_s=duration_s,
                iterations=iterations,
                rate_per_s=None if rate is None else float(rate),
                stages=stages,
                max_in_flight=max_in_flight,
            ),
        )
    if "max_in_flight" in table:
        raise ctx.error(
            (*where, "max_in_flight"), "max_in_flight applies to an arrival rate (rate or stages)"
        )
    if duration_s is None and iterations is None:
        duration_s = default_duration_s if default_duration_s is not None else DEFAULT_DURATION_S
    users = ctx.typed(table.get("users", 1), int, (*where, "users"), "users")
    ramp_up_s = ctx.duration(table, "ramp_up", where) if "ramp_up" in table else 0.0
    return ctx.guard(
        where,
        lambda: LoadModel(users=users, ramp_up_s=ramp_up_s, duration_s=duration_s, iterations=iterations),
    )


def _static_request(flow_request: FlowRequest) -> Request | None:
    """The request as a plain Request when it has no variables at all, else None."""
    from surge.scenario.flow import is_static, request_parts

    if not is_static(flow_request):
        return None

    url, headers, body = request_parts(flow_request, {})
    return Request(url=url, method=flow_request.method, headers=headers, body=body, label=flow_request.label)


def _open_group(
    ctx: FileContext,
    where: KeyPath,
    name: str,
    chosen: list[FlowRequest],
    weights: tuple[float, ...] | None,
    feeder: Feeder | None,
    load: LoadModel,
) -> UserGroup:
    """An arrival-rate group sends plain requests in turn: no data, extraction or checks."""
    if weights is not None:
        raise ctx.error(
            (*where, "pick"), "an arrival-rate group sends its journey's requests in turn; use journey"
        )
    if feeder is not None:
        raise ctx.error((*where, "feeder"), "feeders need users (the closed model), not an arrival rate")
    plain = []
    for r in chosen:
        static = _static_request(r)
        if static is None or r.extract or r.assertions:
            raise ctx.error(
                ("requests", r.name),
                f"request {r.name!r} uses variables, extraction or assertions:"
                " an arrival-rate group sends plain requests",
            )
        plain.append(static)
    return ctx.guard(where, lambda: UserGroup(requests=tuple(plain), load=load, name=name))
