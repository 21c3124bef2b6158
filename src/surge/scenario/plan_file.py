"""Load a TOML scenario file (``surge run -f``) into a validated Plan, or say ``file:line: what is wrong``.

The format is documented with a complete example in docs/scenarios.md. Every table's keys are
checked (an unknown key is an error, not ignored), URLs, regexes, JSON paths, CSV files and
references between sections are validated before any request is sent.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from surge.errors import UsageError
from surge.plan import (
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
from surge.scenario.checks import Assertion, Extraction, Template
from surge.scenario.model import EXHAUSTED_MODES, FEEDER_MODES, Feeder, Flow, FlowRequest
from surge.scenario.toml_lines import Path as KeyPath
from surge.scenario.toml_lines import key_lines, line_of
from surge.units import parse_duration_s
from surge.verdict.thresholds import parse_threshold

DEFAULT_DURATION_S = 10.0

T = TypeVar("T")

_TOP_KEYS = {"base_url", "duration", "timeout", "ok_status", "insecure", "thresholds", "abort_on_fail",
             "variables", "feeders", "requests", "groups", "user_agent"}  # fmt: skip
_FEEDER_KEYS = {"file", "mode", "on_exhausted", "delimiter"}
_REQUEST_KEYS = {"label", "method", "url", "headers", "query", "body", "json", "extract", "assert"}
_EXTRACT_KEYS = {"var", "json", "regex", "header", "group", "default"}
_ASSERT_KEYS = {"status", "contains", "not_contains", "matches", "json", "max_elapsed"}
_GROUP_KEYS = {"name", "users", "ramp_up", "duration", "iterations", "journey", "pick", "think_time",
               "feeder", "rate", "stages", "max_in_flight"}  # fmt: skip


class _Context:
    """The file being loaded: raises errors located at a key path."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)

    def error(self, where: KeyPath, message: str) -> UsageError:
        return UsageError(f"{self.path}:{line_of(self.lines, where)}: {message}")

    def check_keys(self, table: Any, allowed: set[str], where: KeyPath, what: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(where, f"{what} must be a table")
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.error((*where, key), f"unknown key {key!r} in {what} (known: {known})")
        return table

    def typed(self, value: Any, kind: type | tuple[type, ...], where: KeyPath, what: str) -> Any:
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(where, f"{what} must be a number, not {value!r}")
        if not isinstance(value, kind):
            names = {
                str: "a string",
                int: "an integer",
                bool: "true or false",
                list: "an array",
                dict: "a table",
            }
            name = names.get(kind, "a number") if isinstance(kind, type) else "a number"
            raise self.error(where, f"{what} must be {name}, not {value!r}")
        return value

    def guard(self, where: KeyPath, action: Callable[[], T]) -> T:
        """Run a validating constructor; its UsageError gets this key's file:line."""
        try:
            return action()
        except UsageError as exc:
            if str(exc).startswith(f"{self.path}:"):
                raise
            raise self.error(where, str(exc)) from exc


def load_plan_file(path: Path) -> Plan:
    """Read, parse and validate a scenario file; raises UsageError with ``file:line: what is wrong``."""
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
    return _build(_Context(path, text), document)


def _syntax_error(path: Path, message: str) -> str:
    # tomllib: "Expected '=' after a key in a key/value pair (at line 3, column 5)"
    head, sep, where = message.rpartition(" (at line ")
    if sep:
        line = where.split(",")[0].rstrip(")")
        return f"{path}:{line}: invalid TOML: {head}"
    return f"{path}: invalid TOML: {message}"


def _build(ctx: _Context, doc: dict[str, Any]) -> Plan:
    ctx.check_keys(doc, _TOP_KEYS, (), "the plan")
    base_url = ctx.typed(doc.get("base_url", ""), str, ("base_url",), "base_url")
    if base_url:
        ctx.guard(("base_url",), lambda: Request(base_url))
    default_duration_s = _duration(ctx, doc, "duration", ()) if "duration" in doc else None
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
    requests = {name: _request(ctx, name, table, base_url) for name, table in requests_table.items()}
    groups_list = ctx.typed(doc.get("groups", []), list, ("groups",), "[[groups]]")
    if not groups_list:
        raise ctx.error((), "the plan has no [[groups]] table (who sends the requests?)")
    groups = tuple(
        _group(ctx, i, table, requests, feeders, tuple(variables.items()), default_duration_s)
        for i, table in enumerate(groups_list)
    )
    names = [g.name for g in groups]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ctx.error(("groups", i, "name"), f"two groups are named {name!r}")
    client_kwargs: dict[str, Any] = {}
    if "timeout" in doc:
        client_kwargs["timeout_s"] = _duration(ctx, doc, "timeout", ())
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


def _duration(ctx: _Context, table: dict[str, Any], key: str, where: KeyPath) -> float:
    value = table[key]
    path = (*where, key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = ctx.typed(value, str, path, key)
    result: float = ctx.guard(path, lambda: parse_duration_s(text))
    return result


def _feeder(ctx: _Context, name: str, table: Any) -> Feeder:
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


def _string_pairs(ctx: _Context, table: Any, where: KeyPath, what: str) -> tuple[tuple[str, Template], ...]:
    ctx.typed(table, dict, where, what)
    pairs = []
    for key, value in table.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        ctx.typed(value, str, (*where, key), f"{what} {key!r}")
        pairs.append((key, Template.parse(value)))
    return tuple(pairs)


def _request(ctx: _Context, name: str, table: Any, base_url: str) -> FlowRequest:
    where: KeyPath = ("requests", name)
    ctx.check_keys(table, _REQUEST_KEYS, where, f"[requests.{name}]")
    if "url" not in table:
        raise ctx.error(where, f"request {name!r} needs a url")
    url_text = ctx.typed(table["url"], str, (*where, "url"), "url")
    url_template = Template.parse(url_text)
    # Validate with every variable standing for a plain word; variables may not make up the host.
    probe = url_template.render({name: "x" for name in url_template.names})
    if not probe.startswith(("http://", "https://")):
        if not base_url:
            raise ctx.error(
                (*where, "url"), f"relative url {url_text!r} needs a base_url at the top of the plan"
            )
        # "${next}" alone may be a path or a whole URL (a Location header), known only at run time.
        probe = base_url if url_text.startswith("${") else urljoin(base_url, probe)
    ctx.guard((*where, "url"), partial(Request, probe))
    if any(
        f"${{{name}}}" in urlsplit(url_text).netloc for name in url_template.names
    ) and not url_text.startswith("${"):
        raise ctx.error((*where, "url"), f"invalid url {url_text!r}: no ${{variables}} in the host or port")
    method = ctx.typed(table.get("method", "GET"), str, (*where, "method"), "method").upper()
    headers = _string_pairs(ctx, table.get("headers", {}), (*where, "headers"), "header")
    for header, _ in headers:
        ctx.guard((*where, "headers", header), partial(Request, "http://x/", headers=((header, ""),)))
    query = _string_pairs(ctx, table.get("query", {}), (*where, "query"), "query parameter")
    if "body" in table and "json" in table:
        raise ctx.error((*where, "json"), "give body or json, not both")
    body = None
    if "body" in table:
        body = Template.parse(ctx.typed(table["body"], str, (*where, "body"), "body"))
    extractions = tuple(
        _extraction(ctx, (*where, "extract", i), item)
        for i, item in enumerate(ctx.typed(table.get("extract", []), list, (*where, "extract"), "extract"))
    )
    assertions = _assertions(ctx, (*where, "assert"), table.get("assert", {}))
    label = ctx.typed(table.get("label", ""), str, (*where, "label"), "label")
    if not label:
        path = (
            urlsplit(url_text).path
            if url_text.startswith(("http://", "https://"))
            else url_text.split("?")[0]
        )
        label = f"{method} {path or '/'}"
    ctx.guard((*where, "method"), lambda: Request("http://x/", method=method))
    return FlowRequest(
        name=name,
        label=label,
        method=method,
        url=url_template,
        headers=headers,
        query=query,
        body=body,
        json_body=table.get("json"),
        has_json_body="json" in table,
        extract=extractions,
        assertions=assertions,
        base_url=base_url,
    )


def _extraction(ctx: _Context, where: KeyPath, item: Any) -> Extraction:
    ctx.check_keys(item, _EXTRACT_KEYS, where, "an extraction")
    if "var" not in item:
        raise ctx.error(where, "an extraction needs var = NAME (the variable it sets)")
    variable = ctx.typed(item["var"], str, (*where, "var"), "var")
    sources = [key for key in ("json", "regex", "header") if key in item]
    if len(sources) != 1:
        raise ctx.error(where, "an extraction needs exactly one of json, regex or header")
    source = sources[0]
    expression = ctx.typed(item[source], str, (*where, source), source)
    group = ctx.typed(item.get("group", 1), int, (*where, "group"), "group")
    default = item.get("default")
    if default is not None:
        ctx.typed(default, str, (*where, "default"), "default")
    result: Extraction = ctx.guard(
        (*where, source), lambda: Extraction(variable, source, expression, group, default)
    )
    return result


def _assertions(ctx: _Context, where: KeyPath, table: Any) -> tuple[Assertion, ...]:
    ctx.check_keys(table, _ASSERT_KEYS, where, "assert")
    out: list[Assertion] = []
    for kind, value in table.items():
        at = (*where, kind)
        if kind == "status":
            statuses = value if isinstance(value, list) else [value]
            for status in statuses:
                ctx.typed(status, int, at, "status")
                if not 100 <= status <= 999:
                    raise ctx.error(at, f"invalid status {status}")
            out.append(Assertion("status", tuple(statuses)))
        elif kind == "max_elapsed":
            limit_ms = round(_duration(ctx, table, kind, where) * 1000)
            out.append(Assertion("max_elapsed", limit_ms))
        elif kind == "json":
            ctx.typed(value, dict, at, "assert.json (a table of JSON path = expected value)")
            for path_text, expected in value.items():
                out.append(
                    ctx.guard((*at, path_text), partial(Assertion, "json", expected, path_text=path_text))
                )
        else:
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                ctx.typed(text, str, at, kind)
                out.append(ctx.guard(at, partial(Assertion, kind, text)))
    return tuple(out)


def _think_time(ctx: _Context, value: Any, where: KeyPath) -> ThinkTime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ctx.guard(where, lambda: ThinkTime(float(value), float(value)))
    if isinstance(value, str):
        return ctx.guard(where, lambda: ThinkTime.parse(value))
    ctx.check_keys(value, {"mean", "stddev"}, where, "think_time (gaussian)")
    if set(value) != {"mean", "stddev"}:
        raise ctx.error(
            where, 'a gaussian think_time needs mean and stddev, e.g. { mean = "1s", stddev = "200ms" }'
        )
    mean_s = _duration(ctx, value, "mean", where)
    stddev_s = _duration(ctx, value, "stddev", where)
    return ctx.guard(where, lambda: ThinkTime.gaussian(mean_s, stddev_s))


def _group(
    ctx: _Context,
    index: int,
    table: Any,
    requests: dict[str, FlowRequest],
    feeders: dict[str, Feeder],
    variables: tuple[tuple[str, str], ...],
    default_duration_s: float | None,
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
    flow = Flow(tuple(chosen), weights, feeder, think, variables)
    statics = tuple(r for r in (_static_request(c) for c in chosen) if r is not None)
    return ctx.guard(
        where,
        lambda: UserGroup(requests=statics, load=load, name=name, behaviour=flow),
    )


def _load(
    ctx: _Context, table: dict[str, Any], where: KeyPath, default_duration_s: float | None
) -> LoadModel:
    duration_s = _duration(ctx, table, "duration", where) if "duration" in table else None
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
    ramp_up_s = _duration(ctx, table, "ramp_up", where) if "ramp_up" in table else 0.0
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
    ctx: _Context,
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
