"""Open model, ramped by stages: every row has elapsed >= 0 and 0 <= Latency <= elapsed.

Arrivals due within half a millisecond of a timer firing are sent in one batch, some of them a
little before their intended time; a fast local server answers within that head start. Rows once
had elapsed = -1 then (the sample started at the intended time, after its response). A property
test over random stages and rates, each example a real run against the local server.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servers.http_server import LocalHttpServer
from surge.engine.runner import run_plan
from surge.plan import LoadModel, Plan, Request, Stage, UserGroup

stages_strategy = st.lists(
    st.tuples(st.sampled_from([0.2, 0.3, 0.5]), st.integers(min_value=0, max_value=4000)),
    min_size=1,
    max_size=3,
).filter(lambda stages: sum(rate for _, rate in stages) > 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start_rate=st.integers(min_value=0, max_value=3000), stages=stages_strategy)
def test_ramped_rows_never_have_negative_times(
    tmp_path_factory: object, server: LocalHttpServer, start_rate: int, stages: list[tuple[float, int]]
) -> None:
    out = Path(tmp_path_factory.mktemp("run")) / "open.jtl"  # type: ignore[attr-defined]
    load = LoadModel(
        rate_per_s=float(start_rate),
        stages=tuple(Stage(duration_s, float(rate)) for duration_s, rate in stages),
        max_in_flight=200,
    )
    plan = Plan(groups=(UserGroup(requests=(Request(f"{server.base_url}/fast"),), load=load),))
    result = run_plan(plan, out, processes=1)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == result.total.samples
    bad = [
        (r["elapsed"], r["Latency"], r["queueTime"])
        for r in rows
        if not 0 <= int(r["Latency"]) <= int(r["elapsed"]) or int(r["queueTime"]) < 0
    ]
    assert bad == [], f"{len(bad)} of {len(rows)} rows: {bad[:5]}"
