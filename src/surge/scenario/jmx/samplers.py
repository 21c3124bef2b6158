"""HTTP Request samplers read as JMeter sends them: defaults merged, URL, query or body, headers.

Rules followed (JMeter's HTTPSamplerBase and its HttpClient 4 sampler):

- Empty fields (protocol, host, port, path, encoding) come from the nearest HTTP Request
  Defaults in scope; the defaults' parameters are added after the sampler's own.
- A path that starts with ``http://`` or ``https://`` is the whole URL; another path gets a
  leading ``/``; the port is left out when it is the protocol's default.
- GET, DELETE and OPTIONS send their parameters in the query string (encoded only when "URL
  Encode?" is ticked); POST, PUT and PATCH send them as a form body, or, with "Body Data"
  (``postBodyRaw``), send the values as they are. A body without a ``Content-Type`` header is
  sent with HttpClient's: ``application/x-www-form-urlencoded; charset=UTF-8`` for a form,
  ``text/plain; charset=UTF-8`` for body data.
- One file with no parameter name and no parameters is sent as the body (with its MIME type).
  "Use multipart/form-data" sends the parameters as text fields of a multipart body; files in
  a multipart body are not supported.
- Header Managers merge from the outermost in: a header of the same name set nearer the
  sampler replaces the farther one.
"""

from __future__ import annotations

from collections.abc import Callable

from surge.scenario.jmx.components import ComponentError
from surge.scenario.jmx.expressions import Call, Expr, Part
from surge.scenario.jmx.model import HttpSampler, RequestListing, Scoped
from surge.scenario.jmx.xml_tree import Element

_QUERY_METHODS = ("GET", "DELETE", "OPTIONS")
_BODY_METHODS = ("POST", "PUT", "PATCH")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def concat(*pieces: Expr | str) -> Expr:
    parts: list[Part] = []
    for piece in pieces:
        parts.extend(piece.parts if isinstance(piece, Expr) else (piece,))
    return Expr(tuple(parts))


def _encoded(expr: Expr, decode_first: bool) -> Expr:
    inner = Expr((Call("__urldecode", (expr,), expr.display()),)) if decode_first else expr
    return Expr((Call("__urlencode", (inner,), expr.display()),))


def _field(sampler: Element, defaults: list[Element], name: str) -> str:
    value = sampler.text(name).strip()
    if value:
        return value
    for config in reversed(defaults):  # the nearest defaults first
        value = config.text(name).strip()
        if value:
            return value
    return ""


def _arguments(element: Element | None) -> list[Element]:
    if element is None:
        return []
    return [a for a in element.items("Arguments.arguments") if isinstance(a, Element) and a.enabled]


def merged_headers(managers: list[Element], compile_: Callable[[str], Expr]) -> tuple[tuple[str, Expr], ...]:
    merged: dict[str, tuple[str, Expr]] = {}
    for manager in managers:  # outermost first: nearer ones replace
        for header in manager.items("HeaderManager.headers"):
            if not isinstance(header, Element):
                continue
            name = header.text("Header.name").strip()
            if name:
                merged[name.lower()] = (name, compile_(header.text("Header.value")))
    return tuple(merged.values())


def build_http(
    sampler: Element,
    defaults: list[Element],
    header_managers: list[Element],
    compile_: Callable[[str], Expr],
    scoped: Scoped,
    read_file: Callable[[str, str], bytes],
) -> tuple[HttpSampler, RequestListing]:
    """The sampler as surge sends it, and its line in the ``--dry-run`` listing."""
    method = (sampler.text("HTTPSampler.method").strip() or "GET").upper()
    path_text = _field(sampler, defaults, "HTTPSampler.path")
    args = _arguments(sampler.element("HTTPsampler.Arguments"))
    for config in defaults:
        args += _arguments(config.element("HTTPsampler.Arguments"))
    raw_body = sampler.flag("HTTPSampler.postBodyRaw") or (bool(args) and all(not _name(a) for a in args))
    files_element = sampler.element("HTTPsampler.Files")
    files = [
        f
        for f in (files_element.items("HTTPFileArgs.files") if files_element is not None else [])
        if isinstance(f, Element) and f.text("File.path").strip()
    ]
    multipart = sampler.flag("HTTPSampler.DO_MULTIPART_POST") and method in _BODY_METHODS
    if len(files) > 1 or (files and (multipart or args or _file_param(files[0]))):
        raise ComponentError(
            "file uploads in multipart/form-data are not supported (one file as the body is)"
        )
    query: Expr | None = None
    body: Expr | None = None
    body_bytes: bytes | None = None
    content_type = ""
    if multipart:
        body = _multipart(args, compile_)
        content_type = f"multipart/form-data; boundary={_BOUNDARY}"
    elif files:
        body_bytes = read_file(files[0].text("File.path").strip(), f"HTTP Request {sampler.name!r}")
        content_type = files[0].text("File.mimetype").strip()
    elif raw_body and (method in _BODY_METHODS or method in _QUERY_METHODS):
        body = concat(*(compile_(a.text("Argument.value")) for a in args))
        content_type = "text/plain; charset=UTF-8"
    elif args and method in _BODY_METHODS:
        body = _joined(args, compile_, form=True)
        content_type = "application/x-www-form-urlencoded; charset=UTF-8"
    elif args and method in _QUERY_METHODS:
        query = _joined(args, compile_, form=False)
    url = _url(sampler, defaults, path_text, query, compile_).fold({}, {})  # encodings of known text
    body = body.fold({}, {}) if body is not None else None
    headers = merged_headers(header_managers, compile_)
    names = {name.lower() for name, _ in headers}
    if (body is not None or body_bytes is not None) and content_type and "content-type" not in names:
        headers += (("Content-Type", Expr((content_type,))),)
    if not sampler.flag("HTTPSampler.use_keepalive") and "connection" not in names:
        headers += (("Connection", Expr(("close",))),)
    label = compile_(sampler.name)
    result = HttpSampler(
        label=label,
        method=method,
        url=url,
        headers=headers,
        body=body,
        body_bytes=body_bytes,
        follow_redirects=sampler.flag("HTTPSampler.follow_redirects"),
        auto_redirects=sampler.flag("HTTPSampler.auto_redirects"),
        scoped=scoped,
        name=sampler.name,
    )
    return result, RequestListing(label.display(), method, url.display())


_BOUNDARY = "surge-jmx-form-boundary-7d2f1c"


def _multipart(args: list[Element], compile_: Callable[[str], Expr]) -> Expr:
    """A multipart/form-data body of text fields (as a browser sends them)."""
    pieces: list[Expr | str] = []
    for argument in args:
        name = _name(argument).replace('"', "%22")
        if not name.strip():
            continue
        pieces += [f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n']
        pieces += [compile_(argument.text("Argument.value")), "\r\n"]
    pieces.append(f"--{_BOUNDARY}--\r\n")
    return concat(*pieces)


def _name(argument: Element) -> str:
    return argument.text("Argument.name")


def _file_param(file: Element) -> str:
    return file.text("File.paramname").strip()


def _joined(args: list[Element], compile_: Callable[[str], Expr], form: bool) -> Expr:
    """``name=value&...``: a form body (always encoded, as HttpClient does) or a query string."""
    pieces: list[Expr | str] = []
    for argument in args:
        name = _name(argument)
        if not name.strip():
            continue  # JMeter skips parameters with a blank name
        always = argument.flag("HTTPArgument.always_encode")
        name_expr = compile_(name)
        value = compile_(argument.text("Argument.value"))
        if form:
            name_expr = _encoded(name_expr, decode_first=not always)
            value = _encoded(value, decode_first=not always)
        elif always:
            name_expr = _encoded(name_expr, decode_first=False)
            value = _encoded(value, decode_first=False)
        if pieces:
            pieces.append("&")
        use_equals = argument.text("HTTPArgument.use_equals", "true").strip().lower() != "false"
        separator = (
            argument.text("Argument.metadata", "=") if use_equals or argument.text("Argument.value") else ""
        )
        pieces += [name_expr, separator, value]
    return concat(*pieces)


def _url(
    sampler: Element,
    defaults: list[Element],
    path_text: str,
    query: Expr | None,
    compile_: Callable[[str], Expr],
) -> Expr:
    path = compile_(path_text)
    query = query if query is not None and query.static != "" else Expr(())
    if path.static is not None and path.static.startswith(("http://", "https://")):
        return concat(path, _query_separator(path.static, query), query)
    protocol = (_field(sampler, defaults, "HTTPSampler.protocol") or "http").lower()
    domain = _field(sampler, defaults, "HTTPSampler.domain")
    port = _field(sampler, defaults, "HTTPSampler.port")
    if not domain and not path_text.startswith("${"):
        raise ComponentError("no server name (HTTPSampler.domain) here nor in HTTP Request Defaults")
    port_expr = compile_(port)
    host = concat(compile_(protocol), "://", compile_(domain))
    if port and port_expr.static != _DEFAULT_PORTS.get(compile_(protocol).static or "", ""):
        host = concat(host, ":", port_expr)
    if path.static is not None:
        text = path.static if path.static.startswith("/") else "/" + path.static
        return concat(host, text, _query_separator(text, query), query)
    # A path known only at run time may be a whole URL, or lack its leading / (JMeter decides then).
    shown = concat(host, "" if path_text.startswith("/") else "/", path, "?" if query.parts else "", query)
    return Expr((Call("__surge_url", (host, path, query), shown.display()),))


def _query_separator(path: str, query: Expr) -> str:
    if not query.parts:
        return ""
    return "&" if "?" in path else "?"
