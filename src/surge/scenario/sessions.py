"""Cookies and redirects for every kind of user: URL runs moved onto sessions, and the options' overrides.

Plain ``surge run URL`` users run on the callback hot path (``surge.engine.user``), which keeps no
cookies and follows no redirects. Asked for either (``--cookies``, ``--follow-redirects``), their
groups run the same requests as scripted users instead (``UrlSession``), at a scripted user's
cost. Plan files, Python users and JMeter plans run on sessions already; the command line's
choices replace their own (``override_options``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from surge.engine.redirects import SessionOptions
from surge.engine.schedule import think_time_s
from surge.engine.session import Session
from surge.engine.unit import BoundBehaviour, WorkerContext
from surge.errors import UsageError
from surge.plan import Plan, Request, ThinkTime, UserGroup


@dataclass(frozen=True)
class UrlSession:
    """A URL run's journey on a session: each request in turn, the think time after each."""

    requests: tuple[Request, ...]
    options: SessionOptions
    think_time: ThinkTime = field(default_factory=ThinkTime)

    def bind(self, context: WorkerContext) -> BoundBehaviour:
        """The user function in one worker (``surge.engine.unit.Behaviour``)."""
        prepared = [context.prepare(r.method, r.url, r.headers, r.body, r.label) for r in self.requests]
        think = None if self.think_time.is_zero else self.think_time
        options = self.options
        rng = context.rng

        async def iteration(session: Session) -> None:
            if session.iteration == 0:
                session.configure(options)
            for request in prepared:
                await session.send_prepared(request)
                if think is not None:
                    await session.think(think_time_s(think, rng))

        return BoundBehaviour(iteration, "url")


def on_sessions(plan: Plan, options: SessionOptions) -> Plan:
    """The plan's URL groups run as scripted users with ``options`` (cookies, redirects)."""
    groups = []
    for group in plan.groups:
        if group.behaviour is not None:
            groups.append(group)
            continue
        if group.load.is_open:
            raise UsageError(
                "--cookies, --follow-redirects and --connect-to need users (the closed model), "
                "not an arrival rate"
            )
        behaviour = UrlSession(group.requests, options, group.load.think_time)
        load = replace(group.load, think_time=ThinkTime())  # the session thinks after each request
        groups.append(UserGroup(requests=group.requests, load=load, name=group.name, behaviour=behaviour))
    return replace(plan, groups=tuple(groups))


def override_options(plan: Plan, given: dict[str, Any]) -> Plan:
    """Replace the given ``SessionOptions`` fields in every group's behaviour that carries options."""
    if not given:
        return plan
    groups = []
    for group in plan.groups:
        behaviour = group.behaviour
        if behaviour is not None and is_dataclass(behaviour) and "options" in _field_names(behaviour):
            current = getattr(behaviour, "options", None) or SessionOptions()
            behaviour = replace(behaviour, options=replace(current, **given))  # type: ignore[type-var]
            group = replace(group, behaviour=behaviour)
        groups.append(group)
    return replace(plan, groups=tuple(groups))


def _field_names(instance: Any) -> set[str]:
    return {f.name for f in fields(instance)}


def with_options(
    function: Callable[[Session], Awaitable[None]], options: SessionOptions
) -> Callable[[Session], Awaitable[None]]:
    """``function`` run on sessions configured with ``options`` from their first iteration."""

    async def iteration(session: Session) -> None:
        if session.iteration == 0:
            session.configure(options)
        await function(session)

    return iteration
