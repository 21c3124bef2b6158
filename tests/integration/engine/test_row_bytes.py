"""The engine's hot paths write exactly the bytes of the one row definition, ``format_row(Sample)``.

Real users, open-model slots and scripted sessions run against the local server (labels, reasons
and URLs that need quoting, failures, keep-alive and fresh connections); every line of their part
files is parsed and written again through ``format_row``, and must come out byte for byte the same.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from servers.http_server import LocalHttpServer
from surge.engine.schedule import assign_users
from surge.engine.worker import WorkerSpec
from surge.engine.worker_process import run_worker_in_loop
from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup
from surge.results.columns import DEFAULT_COLUMNS
from surge.results.jtl_write import format_row
from surge.results.sample import Sample
from surge.scenario.script import ScriptBehaviour


def run_part(tmp_path: Path, plan: Plan) -> list[str]:
    part = tmp_path / "part.jtl"
    spec = WorkerSpec(plan, 0, 1, tuple(assign_users(plan, 1)[0]), part)
    run_worker_in_loop(spec, time.time_ns(), lambda message: None)
    lines = part.read_text(encoding="utf-8").splitlines(keepends=True)
    return lines[1:]  # the header


def rewritten(line: str) -> str:
    """The line parsed as CSV and written again through the one row definition."""
    (fields,) = list(csv.reader([line]))
    n = len(DEFAULT_COLUMNS)
    f = dict(zip(DEFAULT_COLUMNS, fields[:n], strict=True))
    sample = Sample(
        timestamp_ms=int(f["timeStamp"]),
        elapsed_ms=int(f["elapsed"]),
        label=f["label"],
        response_code=f["responseCode"],
        response_message=f["responseMessage"],
        thread_name=f["threadName"],
        data_type=f["dataType"],
        success=f["success"] == "true",
        failure_message=f["failureMessage"],
        bytes_received=int(f["bytes"]),
        bytes_sent=int(f["sentBytes"]),
        grp_threads=int(f["grpThreads"]),
        all_threads=int(f["allThreads"]),
        url=f["URL"],
        latency_ms=int(f["Latency"]),
        idle_time_ms=int(f["IdleTime"]),
        connect_ms=int(f["Connect"]),
    )
    return format_row(sample, fields[n:])


def requests(server: LocalHttpServer) -> tuple[Request, ...]:
    base = server.base_url
    return (
        Request(f"{base}/fast", label='GET "fast", quoted'),
        Request(f"{base}/status/503?reason=Busy,%20later", label="busy"),
        Request(f"{base}/close?a=1,2"),  # a fresh connection each time: Connect > 0
        Request(f"{base}/bytes/100"),
        Request("http://127.0.0.1:9/refused", label="refused, always"),
    )


def test_closed_model_users_write_format_row_bytes(tmp_path: Path, server: LocalHttpServer) -> None:
    load = LoadModel(users=3, iterations=20)
    plan = Plan(groups=(UserGroup(requests=requests(server), load=load),), client=ClientOptions(timeout_s=2))
    lines = run_part(tmp_path, plan)
    assert len(lines) == 3 * 20 * 5
    codes = {fields[3] for fields in csv.reader(lines) if fields[2] == "refused, always"}
    assert codes == {"Non HTTP response code: ConnectionRefusedError"}
    assert [line for line in lines if rewritten(line) != line] == []


def test_open_model_slots_write_format_row_bytes(tmp_path: Path, server: LocalHttpServer) -> None:
    load = LoadModel(rate_per_s=200, duration_s=1.0, max_in_flight=20)
    plan = Plan(
        groups=(UserGroup(requests=requests(server), load=load),),
        client=ClientOptions(timeout_s=2),
        graceful_stop_s=1.0,
    )
    lines = run_part(tmp_path, plan)
    assert len(lines) == 200
    assert [line for line in lines if rewritten(line) != line] == []


def test_scripted_sessions_write_format_row_bytes(tmp_path: Path, server: LocalHttpServer) -> None:
    script = tmp_path / "users.py"
    script.write_text(
        "async def user(session):\n"
        "    r = await session.get('/json', label='json, \"quoted\"')\n"
        "    session.check(r.status == 201, 'expected 201, got \"200\"')\n"
        "    await session.get('/status/404?reason=Not,here', label='missing')\n"
        "    await session.get('http://127.0.0.1:9/', label='refused')\n"
    )
    behaviour = ScriptBehaviour(str(script), base_url=server.base_url)
    load = LoadModel(users=2, iterations=5)
    plan = Plan(
        groups=(UserGroup(requests=(), load=load, behaviour=behaviour),), client=ClientOptions(timeout_s=2)
    )
    lines = run_part(tmp_path, plan)
    assert len(lines) == 2 * 5 * 3
    assert any('expected 201, got ""200""' in line for line in lines)  # failureMessage, quoted
    assert [line for line in lines if rewritten(line) != line] == []
