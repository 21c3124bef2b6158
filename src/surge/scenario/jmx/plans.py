"""A resolved JMeter plan as surge runs it: one ``Plan`` per phase, checked before anything is sent.

JMeter starts setUp Thread Groups first and the others once those have finished, then tearDown
Thread Groups once those have; with "Run Thread Groups consecutively" each group waits for the
one before it. surge runs each such phase as a run of its own, one after the other, into one
results file (``surge.cli.run_jmx``).

Each thread group becomes a user group of users running a ``JmxBehaviour``: its number of
threads, ramp-up, loop count, and scheduler duration and startup delay (the delay then counts
in the group's duration, which surge measures from the phase's start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from surge.engine.redirects import DEFAULT_MAX_REDIRECTS, SessionOptions
from surge.errors import UsageError
from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup
from surge.scenario.jmx.model import JmxGroup, JmxPlan, RequestListing
from surge.scenario.jmx.runtime import JmxBehaviour


@dataclass(frozen=True)
class Phase:
    """Groups that start together; ``title`` says which (setUp, the test, tearDown, or a group)."""

    title: str
    plan: Plan
    main: bool  # the test itself, not a setUp or tearDown phase


@dataclass(frozen=True)
class SessionChoices:
    """The command line's cookies and redirects options (None: as the plan says)."""

    cookies: bool | None = None
    follow_redirects: bool | None = None
    max_redirects: int | None = None
    connect_to: tuple[tuple[str, int, str, int], ...] = ()


def refusal_lines(plan: JmxPlan) -> list[str]:
    """One line per element that makes the plan refused."""
    return [
        f"{plan.path}:{item.line}: {item.testclass} {item.name!r}: {item.reason}" for item in plan.refused
    ]


def ignored_line(plan: JmxPlan) -> str:
    """The one warning naming the ignored elements ("" when there are none)."""
    ignored = plan.ignored
    if not ignored:
        return ""
    names = ", ".join(f"{item.testclass} {item.name!r}" for item in ignored)
    return f"{plan.path}: ignored {len(ignored)} element(s) that do not change what the plan sends: {names}"


def check_data_files(plan: JmxPlan) -> None:
    """Every CSV data file a group reads must be here; the message says how to point at a copy."""
    missing: list[str] = []
    for group in plan.groups:
        for data_set in group.data_sets:
            if data_set.path is None and data_set.written not in missing:
                missing.append(data_set.written)
    if missing:
        listed = ", ".join(repr(m) for m in missing)
        raise UsageError(
            f"{plan.path}: CSV data file(s) {listed} not found; copy them into a folder and give "
            "--data-dir FOLDER (files are found there by name), or set a path the plan reads from a "
            "property with -J NAME=VALUE"
        )


def to_phases(
    plan: JmxPlan,
    client: ClientOptions,
    choices: SessionChoices = SessionChoices(),
    duration_cap_s: float | None = None,
) -> list[Phase]:
    """The plan's phases as runnable Plans; raises UsageError for a group surge cannot bound."""
    groups = list(zip(plan.groups, plan.listings, strict=True))
    ordered: list[tuple[str, bool, list[tuple[JmxGroup, tuple[RequestListing, ...]]]]] = []
    for phase, title, main in (
        ("setup", "setUp", False),
        ("main", "test", True),
        ("teardown", "tearDown", False),
    ):
        members = [(g, listing) for g, listing in groups if g.phase == phase]
        if not members:
            continue
        if plan.serialize:
            ordered += [(f"{title}: {g.name}", main, [(g, listing)]) for g, listing in members]
        else:
            ordered.append((title, main, members))
    if not any(main for _, main, _ in ordered):
        raise UsageError(f"{plan.path}: the plan has no enabled Thread Group: nothing would run")
    phases = []
    for title, main, members in ordered:
        user_groups = tuple(_user_group(plan, g, listing, choices, duration_cap_s) for g, listing in members)
        phases.append(Phase(title, Plan(groups=user_groups, client=client), main))
    return phases


def _user_group(
    plan: JmxPlan,
    group: JmxGroup,
    listing: tuple[RequestListing, ...],
    choices: SessionChoices,
    duration_cap_s: float | None,
) -> UserGroup:
    where = f"{plan.path}: thread group {group.name!r}"
    duration_s = group.delay_s + group.duration_s if group.duration_s is not None else None
    if duration_cap_s is not None:
        duration_s = duration_cap_s if duration_s is None else min(duration_s, duration_cap_s)
    if duration_s is None and group.iterations is None:
        raise UsageError(
            f"{where} loops for ever without a scheduler duration: give -d DURATION to bound the run"
        )
    if group.iterations == 0:
        raise UsageError(f"{where} has a loop count of 0: it would send nothing")
    users, ramp_up_s = group.users, group.ramp_up_s
    if duration_s is not None and group.delay_s + ramp_up_s > duration_s:
        # JMeter starts user i at delay + i * ramp-up / users: those due after the end never start.
        window_s = duration_s - group.delay_s
        step_s = ramp_up_s / users
        users = max(1, min(users, math.ceil(window_s / step_s) if step_s > 0 else users))
        ramp_up_s = min(users * step_s, max(0.0, window_s))
    try:
        load = LoadModel(
            users=users,
            ramp_up_s=ramp_up_s,
            duration_s=duration_s,
            iterations=group.iterations,
            start_delay_s=group.delay_s,
        )
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from exc
    options = SessionOptions(
        # On by default, as for plan files; JMeter keeps cookies only with a Cookie Manager, whose
        # settings (clear each iteration, cookies it starts with) apply when there is one.
        cookies=choices.cookies if choices.cookies is not None else True,
        follow_redirects=False,  # each sampler says (or the command line, below)
        max_redirects=choices.max_redirects if choices.max_redirects is not None else DEFAULT_MAX_REDIRECTS,
        connect_to=choices.connect_to,
    )
    behaviour = JmxBehaviour(group, tuple(plan.properties.items()), options, choices.follow_redirects)
    name = " ".join(group.name.split()) or "Thread Group"
    return UserGroup(requests=_known_requests(listing), load=load, name=name, behaviour=behaviour)


def _known_requests(listing: tuple[RequestListing, ...]) -> tuple[Request, ...]:
    """The samplers whose URL is known before the run (for the run's summary of origins)."""
    known: dict[tuple[str, str], Request] = {}
    for item in listing:
        if "${" in item.url or (item.method, item.url) in known:
            continue
        try:
            known[(item.method, item.url)] = Request(item.url, method=item.method, label=item.label or "x")
        except UsageError:
            continue
    return tuple(known.values())
