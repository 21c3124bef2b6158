"""The gunicorn settings rows: what each mode sets, and that gunicorn's own Config accepts them all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surge.serve.application import SurgeApplication
from surge.serve.options import ServeOptions, plan_serve
from surge.serve.settings import HANDLER_CLASS, gunicorn_settings, settings_dict


def settings(tmp_path: Path, **kwargs: Any) -> dict[str, Any]:
    plan = plan_serve(ServeOptions(app="surge.demo:app", **kwargs), cpu_count=2, cwd=tmp_path)
    return settings_dict(gunicorn_settings(plan))


def test_every_row_says_why(tmp_path: Path) -> None:
    plan = plan_serve(ServeOptions(app="surge.demo:app", log_dir=Path("logs")), cwd=tmp_path)
    for row in gunicorn_settings(plan, standalone=True):
        assert row.why.strip(), row.name


@pytest.mark.parametrize(
    ("mode", "worker_class", "threads", "connections"),
    [("sync", "sync", None, None), ("gthread", "gthread", 4, 1000), ("gevent", "gevent", None, 1000)],
)
def test_mode_sets_worker_class(
    tmp_path: Path, mode: str, worker_class: str, threads: int | None, connections: int | None
) -> None:
    s = settings(tmp_path, mode=mode)
    assert s["worker_class"] == worker_class
    assert s.get("threads") == threads
    assert s.get("worker_connections") == connections
    assert s["workers"] == 5
    assert s["control_socket_disable"] is True


def test_timeouts_are_whole_seconds_rounded_up(tmp_path: Path) -> None:
    s = settings(tmp_path, timeout_s=0.5, graceful_timeout_s=2.2, keepalive_s=5.0)
    assert (s["timeout"], s["graceful_timeout"], s["keepalive"]) == (1, 3, 5)


def test_log_dir_gives_two_rotating_files(tmp_path: Path) -> None:
    s = settings(tmp_path, log_dir=Path("logs"), log_max_bytes=4096, log_backups=3)
    handlers = s["logconfig_dict"]["handlers"]
    assert {h["filename"] for h in handlers.values()} == {
        str(tmp_path / "logs" / "access.log"),
        str(tmp_path / "logs" / "error.log"),
    }
    for handler in handlers.values():
        assert (handler["()"], handler["maxBytes"], handler["backupCount"]) == (HANDLER_CLASS, 4096, 3)
    assert s["logconfig_dict"]["loggers"]["gunicorn.access"]["handlers"] == ["access_file"]


def test_no_log_dir_means_error_log_on_stderr(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s["errorlog"] == "-" and "logconfig_dict" not in s


def test_gunicorn_config_accepts_the_settings(tmp_path: Path) -> None:
    s = settings(tmp_path, mode="gthread", workers=3, threads=8, max_requests=100, log_dir=Path("logs"))
    application = SurgeApplication("surge.demo:app", s)
    cfg = application.cfg
    assert (cfg.workers, cfg.threads, cfg.max_requests, cfg.max_requests_jitter) == (3, 8, 100, 10)
    assert cfg.worker_class_str == "gthread"
    assert cfg.logger_class.__name__ == "ForwardedLogger"
    assert cfg.pidfile == str(tmp_path / "surge-run" / "serve.pid")


def test_application_rereads_settings_from_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "serve.json"
    state.write_text('{"settings": {"workers": 7}}', encoding="utf-8")
    application = SurgeApplication("surge.demo:app", {"workers": 2}, state_file=state)
    assert application.cfg.workers == 7
    state.write_text("not json", encoding="utf-8")
    application.reload()  # what HUP does: a broken file keeps the last good settings
    assert application.cfg.workers == 7
