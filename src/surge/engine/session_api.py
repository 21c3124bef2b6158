"""What a scripted user's function calls on its session: requests, checks, pauses.

``surge.engine.session.Session`` is a ``UserApi``; this module holds the user-facing half, the
engine side is there.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from surge.errors import UsageError

if TYPE_CHECKING:
    from surge.engine.client import PreparedRequest
    from surge.engine.response import Response
    from surge.engine.unit import WorkerContext


class StopUser(Exception):
    """Raised inside a user function when the user must stop (end of the run, data exhausted)."""


class UserApi:
    """The calls of a user function (``await session.get(...)``, ``session.check(...)``)."""

    worker: WorkerContext
    base_url: str
    deadline_ns: int
    _last: Response | None

    async def send_prepared(
        self, prepared: PreparedRequest, follow_redirects: bool | None = None
    ) -> Response:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def _check_running(self) -> None:
        raise NotImplementedError

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> Response:
        return await self.request("DELETE", url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> Response:
        return await self.request("HEAD", url, **kwargs)

    async def request(
        self,
        method: str,
        url: str,
        *,
        label: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: bytes | str | None = None,
        json: Any = None,
        follow_redirects: bool | None = None,
    ) -> Response:
        """Send one request and wait for its response; failures come back in ``Response.error``.

        ``follow_redirects`` overrides the session's setting for this request.
        """
        target_url = self.resolve(url)
        if params:
            target_url += ("&" if "?" in target_url else "?") + urlencode(params, doseq=True)
        header_items = list(headers.items()) if headers else []
        payload_body = b""
        if json is not None:
            payload_body = jsonlib.dumps(json, separators=(",", ":")).encode()
            if not any(name.lower() == "content-type" for name, _ in header_items):
                header_items.append(("Content-Type", "application/json"))
        elif body is not None:
            payload_body = body.encode() if isinstance(body, str) else body
        prepared = self.worker.prepare(
            method.upper(), target_url, tuple(header_items), payload_body, label or ""
        )
        return await self.send_prepared(prepared, follow_redirects)

    def check(self, condition: bool, message: str) -> bool:
        """Fail the last response's sample with ``message`` unless ``condition`` holds."""
        if not condition and self._last is not None:
            self._last.fail(message)
        return condition

    async def think(self, seconds: float) -> None:
        """Pause; a pause reaching past the end of the run ends the user instead."""
        self.flush()
        self._check_running()
        if seconds <= 0:
            return
        remaining_s = (self.deadline_ns - perf_counter_ns()) / 1e9
        if seconds >= remaining_s:
            await asyncio.sleep(max(0.0, remaining_s))
            raise StopUser
        await asyncio.sleep(seconds)

    def resolve(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        if not self.base_url:
            raise UsageError(f"relative URL {url!r} without a base URL")
        return urljoin(self.base_url, url)
