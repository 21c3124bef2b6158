"""Every mode serves the demo endpoints; /io shows which modes overlap requests in one worker."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from serve_harness import Harness, alive, http, port_is_free, wait_for

from surge.serve.control import stop_server

pytestmark = pytest.mark.timeout(120)

CONCURRENT = 6


@pytest.mark.parametrize(
    ("mode", "extra"),
    [
        pytest.param("sync", ["-w", "1"], id="sync"),
        pytest.param("gthread", ["-w", "1", "--threads", "8"], id="gthread"),
        pytest.param("gevent", ["-w", "1"], id="gevent"),
        # The app is imported in the master, which surge then patches first.
        pytest.param("gevent", ["-w", "1", "--preload"], id="gevent-preload"),
        pytest.param("flask-threaded", [], id="flask-threaded"),
        pytest.param("flask-processes", ["-w", "8"], id="flask-processes"),
    ],
)
def test_mode_serves_the_demo(harness: Harness, mode: str, extra: list[str]) -> None:
    port = harness.serve("surge.demo:app", "--mode", mode, *extra)
    url = f"http://127.0.0.1:{port}"
    master = harness.master_pid()
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
        # The library call behind `surge stop` (the CLI itself is covered by the lifecycle test).
        report = stop_server(harness.folder / "surge-run" / "serve.pid")
    assert report.graceful
    wait_for(lambda: not alive(master), 10, "the master to exit")
    assert port_is_free(port)
