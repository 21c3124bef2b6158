"""``surge run -f PLAN.jmx --dry-run``: the resolved plan as text or JSON, and the unsupported elements."""

from __future__ import annotations

import json
from typing import Any

from surge.scenario.jmx.model import JmxPlan


def listing_document(plan: JmxPlan) -> dict[str, Any]:
    """``{"groups": [...], "unsupported": [...]}`` (the ``--dry-run --json`` document)."""
    groups = []
    for group, requests in zip(plan.groups, plan.listings, strict=True):
        groups.append(
            {
                "name": group.name,
                "users": group.users,
                "ramp_up_s": group.ramp_up_s,
                "duration_s": group.duration_s,
                "iterations": group.iterations,
                "requests": [{"label": r.label, "method": r.method, "url": r.url} for r in requests],
            }
        )
    return {"groups": groups, "unsupported": [u.as_dict() for u in plan.unsupported]}


def listing_json(plan: JmxPlan) -> str:
    return json.dumps(listing_document(plan), indent=2, ensure_ascii=False)


def listing_text(plan: JmxPlan) -> str:
    lines = [
        f"{plan.path}: test plan {plan.name!r}"
        + (" (thread groups one after another)" if plan.serialize else "")
    ]
    for group, requests in zip(plan.groups, plan.listings, strict=True):
        how = [f"{group.users} users", f"ramp-up {group.ramp_up_s:g}s"]
        if group.delay_s:
            how.append(f"delay {group.delay_s:g}s")
        how.append(f"duration {group.duration_s:g}s" if group.duration_s is not None else "no duration")
        how.append(
            f"{group.iterations} iterations" if group.iterations is not None else "iterations: for ever"
        )
        phase = "" if group.phase == "main" else f" ({group.phase})"
        lines.append(f"group {group.name!r}{phase}: {', '.join(how)}")
        for request in requests:
            lines.append(f"  {request.method} {request.url}  [{request.label}]")
        for data_set in group.data_sets:
            found = str(data_set.path) if data_set.path is not None else "NOT FOUND (see --data-dir)"
            lines.append(f"  data: {data_set.name!r} {data_set.written} -> {found}")
    for item in plan.unsupported:
        verb = "ignored" if item.action == "ignore" else "REFUSED"
        lines.append(f"{verb}: {item.testclass} {item.name!r} (line {item.line}): {item.reason}")
    return "\n".join(lines)
