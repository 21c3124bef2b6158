"""A raw asyncio HTTP/1.1 test server with endpoints that misbehave on purpose.

It runs its own event loop in a background thread, so a test (or a ``surge run`` subprocess)
can talk to it over real sockets. Endpoints (query parameters in brackets):

- ``/fast``: 200, body ``ok``
- ``/slow[?ms=N]``: 200 after N ms (default 200)
- ``/trickle[?ms=N]``: 200 with a 10-byte body: the head and 5 bytes at once, the rest N ms later
  (default 200)
- ``/status/N[?reason=TEXT]``: status N with the standard or the given reason phrase
- ``/bytes/N``: 200 with an N-byte body
- ``/chunked[?n=K]``: 200, chunked body of K chunks ``chunk-i`` with chunk extensions and a trailer
- ``/close``: 200 with ``Connection: close``, then closes
- ``/eof``: 200 without Content-Length: the body ends when the connection closes
- ``/continue``: ``100 Continue`` then 200
- ``/reset``: announces 1000 bytes, sends 100, then resets the connection (RST)
- ``/truncate``: announces 1000 bytes, sends 100, then closes cleanly (FIN)
- ``/never``: reads the request and never answers
- ``/hang[?every=N]``: 200 ``ok``, except that every Nth request (default 50, counted over the
  server's /hang requests) is never answered: the connection stays open, silent
- ``/drip[?ms=N]``: 200 announcing 1000 bytes, then one byte every N ms (default 100): a
  slowloris-like response that never times out and ends only after 1000 × N ms
- ``/drop``: closes without answering
- ``/garbage``: answers bytes that are not HTTP
- ``/stall[?every_ms=5000&stall_ms=1000]``: 200 ``ok``, except during the last ``stall_ms`` of every
  ``every_ms`` period (counted from the server's first /stall request), when it answers only at
  the period's end: a server that stalls for 1 s every 5 s
- ``/json``: 200, a JSON document ``{"id": 42, "user": {"name": "ada", "tags": ["x", "y"]}, "token": "t-1"}``
  with ``Location: /items/42`` and ``Set-Token: h-7`` headers
- ``/echo``: 200, the request line, headers and body as text (``X-Echo-Header: <value of X-Send>``)
- ``/redirect?to=PATH[&status=N]``: status N (default 302) with ``Location: PATH``
- ``/loop``: 302 to ``/loop`` again, for ever
- ``/login``: 302 to ``/home`` setting ``Set-Cookie: sid=s-N; Path=/`` (N counts logins) and
  ``Set-Cookie: theme=dark; Path=/prefs``
- ``/home``: 200 ``welcome`` when the request carries the ``sid`` cookie, else 401
- ``/logout``: 200, deleting the ``sid`` cookie (``Max-Age=0``)
- ``/cookies``: 200, the request's ``Cookie`` header as the body
HEAD on any endpoint gets the GET headers (with Content-Length) and no body.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit


class LocalHttpServer:
    """Start with ``start()`` (returns the port), stop with ``stop()``; counts what it served."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.port = 0
        self.requests = 0
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stall_t0: float | None = None
        self._hang_count = 0
        self.logins = 0

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> int:
        self._thread = threading.Thread(target=self._run, name="test-http-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("test server did not start")
        return self.port

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> LocalHttpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                keep_going = await self._respond(method, target, writer, head + body, headers)
                if not keep_going:
                    return
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _respond(
        self,
        method: str,
        target: str,
        writer: asyncio.StreamWriter,
        raw: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> bool:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        head_only = method == "HEAD"

        def send(status: int, body: bytes, reason: str | None = None, extra: str = "") -> None:
            phrase = reason if reason is not None else HTTPStatus(status).phrase
            headers = f"HTTP/1.1 {status} {phrase}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            writer.write(headers.encode("latin-1") + (b"" if head_only else body))

        if path == "/fast":
            send(200, b"ok")
        elif path == "/slow":
            await asyncio.sleep(int(query.get("ms", "200")) / 1000)
            send(200, b"slow")
        elif path == "/trickle":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + (b"" if head_only else b"first"))
            if head_only:
                return True
            await writer.drain()
            await asyncio.sleep(int(query.get("ms", "200")) / 1000)
            writer.write(b"later")
        elif path.startswith("/status/"):
            send(int(path.rsplit("/", 1)[1]), b"status", query.get("reason"))
        elif path.startswith("/bytes/"):
            send(200, b"x" * int(path.rsplit("/", 1)[1]))
        elif path == "/chunked":
            n = int(query.get("n", "3"))
            out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
            if not head_only:
                for i in range(n):
                    data = f"chunk-{i}".encode()
                    out += f"{len(data):x};ext=v{i}\r\n".encode() + data + b"\r\n"
                out += b"0\r\nX-Checksum: abc\r\n\r\n"
            writer.write(out)
        elif path == "/close":
            send(200, b"bye", extra="Connection: close\r\n")
            await writer.drain()
            return False
        elif path == "/eof":
            writer.write(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + (b"" if head_only else b"until-eof")
            )
            await writer.drain()
            return False
        elif path == "/continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
            send(200, b"after-continue")
        elif path in ("/reset", "/truncate"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"y" * 100)
            await writer.drain()
            await asyncio.sleep(0.05)
            if path == "/reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            return False
        elif path == "/stall":
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._stall_t0 is None:
                self._stall_t0 = now
            every_s = int(query.get("every_ms", "5000")) / 1000
            stall_s = int(query.get("stall_ms", "1000")) / 1000
            into_s = (now - self._stall_t0) % every_s
            if into_s >= every_s - stall_s:
                await asyncio.sleep(every_s - into_s)
            send(200, b"ok")
        elif path == "/json":
            body = b'{"id": 42, "user": {"name": "ada", "tags": ["x", "y"]}, "token": "t-1"}'
            send(
                200, body, extra="Content-Type: application/json\r\nLocation: /items/42\r\nSet-Token: h-7\r\n"
            )
        elif path == "/echo":
            echo = (headers or {}).get("x-send", "")
            send(200, raw, extra=f"X-Echo-Header: {echo}\r\n")
        elif path == "/redirect":
            status = int(query.get("status", "302"))
            send(status, b"moved", extra=f"Location: {query.get('to', '/fast')}\r\n")
        elif path == "/loop":
            send(302, b"again", extra="Location: /loop\r\n")
        elif path == "/login":
            self.logins += 1
            cookies = f"Set-Cookie: sid=s-{self.logins}; Path=/\r\nSet-Cookie: theme=dark; Path=/prefs\r\n"
            send(302, b"", extra=f"Location: /home\r\n{cookies}")
        elif path == "/home":
            cookie = (headers or {}).get("cookie", "")
            if "sid=" in cookie:
                send(200, b"welcome")
            else:
                send(401, b"who are you?")
        elif path == "/logout":
            send(200, b"bye", extra="Set-Cookie: sid=gone; Path=/; Max-Age=0\r\n")
        elif path == "/cookies":
            send(200, (headers or {}).get("cookie", "").encode("latin-1"))
        elif path == "/never":
            await asyncio.sleep(3600)
        elif path == "/hang":
            self._hang_count += 1
            if self._hang_count % int(query.get("every", "50")) == 0:
                await asyncio.sleep(3600)
            send(200, b"ok")
        elif path == "/drip":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(1000):
                await writer.drain()
                await asyncio.sleep(int(query.get("ms", "100")) / 1000)
                writer.write(b"d")
        elif path == "/drop":
            return False
        elif path == "/garbage":
            writer.write(b"SPAM AND EGGS\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            return False
        else:
            send(404, b"not found")
        await writer.drain()
        return True
