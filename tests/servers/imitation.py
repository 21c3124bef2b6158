"""A local server imitating the services of the JMeter plans under tests/fixtures/jmx.

``surge run --connect-to HOST:PORT:127.0.0.1:<port>`` (plain or TLS, see the fixtures) sends
each plan's requests here; the paths answer as the real sites would for what the plans check
and extract. On top of ``LocalHttpServer``'s endpoints (``/login`` sets a cookie and redirects
to ``/home``):

- surge-shop.jmx: ``GET /api/items`` (JSON ids), ``GET /api/items/<id>`` (404 for an unknown id),
  ``POST /api/cart`` (201, needs the login cookie and the id in its JSON body);
- peacebytes-reqres.jmx (reqres.in): ``POST /api/register`` (a token), ``POST /api/users`` (201,
  needs ``Authorization: Bearer <that token>``), ``GET /api/users?page=1``;
- aleksandr-mock.jmx: ``POST /api/register``, ``POST /api/login`` (form; a token),
  ``GET /api/user`` (needs the token);
- egas88-sber.jmx (dostaevsky.ru): ``/`` (sets a session cookie), ``/<category>`` (links to
  items), ``/<category>/<item>`` (a ``data-id``), ``/ajax/basket/add_to_basket?item_id=N``,
  ``/basket/info``, ``PATCH /basket/update-item-count``, ``/search-results?query=...``;
- anashuhada-throughput.jmx (opencart), vtomar-ifcontroller.jmx, denysmnv-nopcommerce.jmx:
  their pages answer 200.

It counts what the plans did (``counts``) so tests can check that extracted values came back.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from servers.http_server import LocalHttpServer

TOKEN = "QpwL5tke4Pnpja7X4"
_PAGES = {
    "/en-gb",
    "/catalog/searchtermautocomplete",
    "/search",
    "/htc-one-m8-android-l-50-lollipop",
    "/cart",
    "/addproducttocart/details/18/1",
    "/shoppingcart/checkoutattributechange",
}


class ImitationServer(LocalHttpServer):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.counts: Counter[str] = Counter()
        self.tokens: dict[str, str] = {}

    async def _respond(
        self,
        method: str,
        target: str,
        writer: asyncio.StreamWriter,
        raw: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> bool:
        headers = headers or {}
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
        answer = self._answer(method, path, query, body, headers)
        if answer is None:
            return await super()._respond(method, target, writer, raw, headers)
        status, payload, extra = answer
        self.counts[f"{method} {path} {status}"] += 1
        phrase = {200: "OK", 201: "Created", 302: "Found", 400: "Bad Request", 401: "Unauthorized",
                  404: "Not Found"}.get(status, "OK")  # fmt: skip
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        content_type = "text/html" if isinstance(payload, bytes) else "application/json"
        head = (
            f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n"
        )
        writer.write((head + extra + "\r\n").encode("latin-1") + (b"" if method == "HEAD" else data))
        await writer.drain()
        return True

    def _answer(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, object, str] | None:
        cookie = headers.get("cookie", "")
        # surge-shop.jmx
        if path == "/api/items":
            return 200, {"items": [{"id": 101, "name": "kettle"}, {"id": 102, "name": "mug"}]}, ""
        if path.startswith("/api/items/"):
            known = path.rsplit("/", 1)[1] in ("101", "102")
            return (
                (200, {"id": int(path.rsplit("/", 1)[1])}, "") if known else (404, {"error": "no item"}, "")
            )
        if path == "/api/cart":
            document = json.loads(body or b"{}")
            if "sid=" not in cookie or document.get("id") != 101:
                return 400, {"error": "not logged in, or not the item listed first"}, ""
            return 201, {"cart": [document["id"]]}, ""
        # peacebytes-reqres.jmx and aleksandr-mock.jmx
        if path == "/api/register":
            return 200, {"id": 4, "token": TOKEN}, ""
        if path == "/api/login":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            token = f"token-{form.get('username', '?')}"
            self.tokens[token] = form.get("username", "")
            return 200, {"token": token}, ""
        if path == "/api/user":
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            return (
                (200, {"user": self.tokens[token]}, "")
                if token in self.tokens
                else (401, {"error": "token"}, "")
            )
        if path == "/api/users":
            if method == "POST":
                if headers.get("authorization") != f"Bearer {TOKEN}":
                    return 401, {"error": "missing token"}, ""
                return 201, {"id": "7", **json.loads(body or b"{}")}, ""
            return 200, {"page": int(query.get("page", "1")), "data": [{"id": 1}]}, ""
        # egas88-sber.jmx (dostaevsky.ru)
        if path == "/":
            return 200, b"<html>dostaevsky</html>", "Set-Cookie: PHPSESSID=abc123; Path=/\r\n"
        if path in ("/pizza", "/rolls"):
            links = "".join(f'<a href="{path}/item-{n}">item {n}</a>' for n in (1, 2))
            return 200, links.encode(), ""
        if path.startswith(("/pizza/", "/rolls/")):
            return 200, f'<div class="product" data-id="{path[-1]}00">buy</div>'.encode(), ""
        if path == "/ajax/basket/add_to_basket":
            ok = query.get("item_id") in ("100", "200") and "PHPSESSID=abc123" in cookie
            return (200, {"ok": True}, "") if ok else (400, {"ok": False}, "")
        if path == "/basket/info":
            return 200, {"items": 1}, ""
        if path == "/basket/update-item-count":
            return 200, {"ok": True}, ""
        if path == "/search-results":
            items = "".join(
                f'<div class="catalog-item"><a href="/pizza/item-{n}">x</a></div>' for n in (1, 2)
            )
            return 200, items.encode(), ""
        # anashuhada-throughput.jmx, vtomar-ifcontroller.jmx, denysmnv-nopcommerce.jmx
        if path in _PAGES:
            return 200, b"<html>page</html>", ""
        return None
