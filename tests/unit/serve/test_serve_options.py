"""ServeOptions -> ServePlan: defaults, worker sizing, validation and the notes shown to the user."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.errors import UsageError
from surge.serve.options import ServeOptions, auto_workers, parse_bind, plan_serve


def plan(tmp_path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return plan_serve(ServeOptions(app="surge.demo:app", **kwargs), cpu_count=4, cwd=tmp_path)  # type: ignore[arg-type]


def test_auto_workers_is_two_per_core_plus_one_and_says_why() -> None:
    assert auto_workers(4) == (9, "auto: 2 x 4 cores + 1")
    assert auto_workers(0)[0] == 3  # an unknown count counts as one core


def test_defaults(tmp_path: Path) -> None:
    p = plan(tmp_path)
    assert (p.host, p.port, p.workers, p.threads, p.worker_connections) == ("127.0.0.1", 8000, 9, None, None)
    assert p.url == "http://127.0.0.1:8000"
    assert p.pidfile == tmp_path / "surge-run" / "serve.pid"
    assert p.state_file == tmp_path / "surge-run" / "serve.json"
    assert p.log_dir is None
    assert p.notes == ()


def test_mode_defaults(tmp_path: Path) -> None:
    gthread = plan(tmp_path, mode="gthread", workers=2)
    assert (gthread.workers, gthread.workers_reason, gthread.threads) == (2, "from --workers", 4)
    gevent = plan(tmp_path, mode="gevent")
    assert gevent.worker_connections == 1000 and gevent.threads is None


def test_daemon_logs_to_the_run_folder_by_default(tmp_path: Path) -> None:
    p = plan(tmp_path, daemon=True, run_dir=Path("rd"))
    assert p.log_dir == tmp_path / "rd" / "logs"
    assert p.access_log == tmp_path / "rd" / "logs" / "access.log"


def test_jitter_defaults_to_a_tenth_of_max_requests(tmp_path: Path) -> None:
    assert plan(tmp_path, max_requests=1000).max_requests_jitter == 100
    assert plan(tmp_path, max_requests=1000, max_requests_jitter=7).max_requests_jitter == 7
    assert plan(tmp_path).max_requests_jitter == 0


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("[::1]:9000", ("::1", 9000)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_parse_bind(bind: str, expected: tuple[str, int]) -> None:
    assert parse_bind(bind) == expected


@pytest.mark.parametrize(
    "bind", ["8000", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:0", "host:70000", "unix:/tmp/s"]
)
def test_bad_bind_is_a_usage_error(bind: str) -> None:
    with pytest.raises(UsageError):
        parse_bind(bind)


def test_notes_warn_about_public_bind_reload_and_flask(tmp_path: Path) -> None:
    notes = " ".join(plan(tmp_path, bind="0.0.0.0:8000", reload=True).notes)
    assert "0.0.0.0" in notes and "development only" in notes
    flask = " ".join(plan(tmp_path, mode="flask-threaded").notes)
    assert "not for production" in flask
    preload = " ".join(plan(tmp_path, mode="gevent", preload=True).notes)
    assert "monkey-patches the master" in preload


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "tornado"}, "unknown mode"),
        ({"threads": 4}, "--threads applies to --mode gthread"),
        ({"worker_connections": 10}, "--worker-connections"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"log_backups": 0}, "--log-backups"),
        ({"log_max_bytes": 10}, "--log-max-size"),
        ({"mode": "flask-threaded", "preload": True}, "gunicorn modes only"),
        ({"timeout_s": -1.0}, "--timeout"),
    ],
)
def test_invalid_options(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan(tmp_path, **kwargs)


@pytest.mark.parametrize("app", ["surge.demo", ":app", "surge.demo:"])
def test_app_must_be_module_colon_name(tmp_path: Path, app: str) -> None:
    with pytest.raises(UsageError, match="MODULE:APP"):
        plan_serve(ServeOptions(app=app), cwd=tmp_path)
