"""A scenario file's ``[requests.NAME]`` tables: URL, headers, body, extractions and assertions.

Each request is validated before any is sent: URL and variables, header names, method, regexes
and JSON paths, with errors located at their key (``file:line: what is wrong``).
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

from surge.plan import Request
from surge.scenario.checks import Assertion, Extraction, Template
from surge.scenario.file_context import FileContext
from surge.scenario.model import FlowRequest
from surge.scenario.toml_lines import Path as KeyPath

_REQUEST_KEYS = {"label", "method", "url", "headers", "query", "body", "json", "extract", "assert",
                 "follow_redirects"}  # fmt: skip
_EXTRACT_KEYS = {"var", "json", "regex", "header", "group", "default"}
_ASSERT_KEYS = {"status", "contains", "not_contains", "matches", "json", "max_elapsed"}


def _string_pairs(
    ctx: FileContext, table: Any, where: KeyPath, what: str
) -> tuple[tuple[str, Template], ...]:
    ctx.typed(table, dict, where, what)
    pairs = []
    for key, value in table.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        ctx.typed(value, str, (*where, key), f"{what} {key!r}")
        pairs.append((key, Template.parse(value)))
    return tuple(pairs)


def parse_request(ctx: FileContext, name: str, table: Any, base_url: str) -> FlowRequest:
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
    follow = None
    if "follow_redirects" in table:
        follow = ctx.typed(table["follow_redirects"], bool, (*where, "follow_redirects"), "follow_redirects")
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
        follow_redirects=follow,
    )


def _extraction(ctx: FileContext, where: KeyPath, item: Any) -> Extraction:
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


def _assertions(ctx: FileContext, where: KeyPath, table: Any) -> tuple[Assertion, ...]:
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
            limit_ms = round(ctx.duration(table, kind, where) * 1000)
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
