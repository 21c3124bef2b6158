"""The demo's /predict refuses bad input with 400 under real gunicorn workers (greenlets and threads)."""

from __future__ import annotations

import pytest
from serve_harness import Harness, free_port, http

from surge.serve.launch import start_server
from surge.serve.options import ServeOptions, plan_serve

pytestmark = pytest.mark.timeout(120)

BODIES = {
    "huge integer": '{"features": [%s, 1, 2, 3]}' % ("9" * 400),
    "overflowing prediction": '{"features": [1e308, 1e308, 1e308, 1e308]}',
    "100,000 levels deep": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("mode", ["gevent", "gthread"])
def test_bad_predict_bodies_are_400_under_gunicorn(harness: Harness, mode: str) -> None:
    plan = plan_serve(
        ServeOptions(app="surge.demo:app", mode=mode, workers=1, bind=f"127.0.0.1:{free_port()}"),
        cwd=harness.folder,
    )
    server = start_server(plan, background=True, directory=harness.folder)
    harness.pids.add(server.master_pid)
    try:
        for name, body in BODIES.items():
            status, answer = http(
                f"{plan.url}/predict", data=body.encode(), headers={"Content-Type": "application/json"}
            )
            assert status == 400, (name, answer)
            assert isinstance(answer["error"], str), (name, answer)
        status, answer = http(
            f"{plan.url}/predict",
            data=b'{"features": [1, 2, 3, 4]}',
            headers={"Content-Type": "application/json"},
        )
        assert status == 200 and isinstance(answer["prediction"], float)
    finally:
        server.stop()
