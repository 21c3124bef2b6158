"""Every mode serves the demo endpoints; /io shows which modes overlap requests in one worker."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from serve_harness import Harness, alive, free_port, http, port_is_free

from surge.serve.launch import start_server
from surge.serve.options import ServeOptions, plan_serve

pytestmark = pytest.mark.timeout(120)

CONCURRENT = 6


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        pytest.param("sync", {"workers": 1}, id="sync"),
        pytest.param("gthread", {"workers": 1, "threads": 8}, id="gthread"),
        pytest.param("gevent", {"workers": 1}, id="gevent"),
        # The app is imported in the master, which surge then patches first.
        pytest.param("gevent", {"workers": 1, "preload": True}, id="gevent-preload"),
        pytest.param("flask-threaded", {}, id="flask-threaded"),
        pytest.param("flask-processes", {"workers": 8}, id="flask-processes"),
    ],
)
def test_mode_serves_the_demo(harness: Harness, mode: str, options: dict[str, Any]) -> None:
    # The library behind `surge serve --daemon` (the CLI is covered by the lifecycle test).
    port = free_port()
    plan = plan_serve(
        ServeOptions(app="surge.demo:app", mode=mode, bind=f"127.0.0.1:{port}", **options), cwd=harness.folder
    )
    server = start_server(plan, background=True, directory=harness.folder)
    harness.pids.add(server.master_pid)
    url = plan.url
    try:
        assert http(f"{url}/")[0] == 200
        status, body = http(f"{url}/health")
        assert status == 200 and body["status"] == "ok"
        status, body = http(f"{url}/cpu?n=1000")
        assert status == 200 and body["n"] == 1000
        features = json.dumps({"features": [1, 2, 3, 4]}).encode()
        status, body = http(f"{url}/predict", data=features, headers={"Content-Type": "application/json"})
        assert status == 200 and isinstance(body["prediction"], float)
        status, body = http(f"{url}/io?ms=oops")
        assert status == 400 and "error" in body

        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(lambda _: http(f"{url}/io?ms=300")[1], range(CONCURRENT)))
        most_in_flight = max(a["in_flight"] for a in answers)
        pids = {a["pid"] for a in answers}
        if mode == "sync":
            # One sync worker takes one request at a time.
            assert most_in_flight == 1 and len(pids) == 1
        elif mode == "flask-processes":
            assert len(pids) > 1  # one forked process per request
        else:
            assert most_in_flight > 1  # threads or greenlets overlap the waits in one process
    finally:
        report = server.stop()
    assert report.graceful
    assert not alive(server.master_pid)
    assert port_is_free(port)
