"""--print-config: a commented, standalone gunicorn.conf.py equal to the settings surge itself uses."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from gunicorn.config import Config

from surge.errors import UsageError
from surge.serve.conffile import render_config
from surge.serve.options import ServeOptions, plan_serve
from surge.serve.settings import gunicorn_settings, settings_dict


def _plan(tmp_path: Path, **kwargs: Any):  # type: ignore[no-untyped-def]
    return plan_serve(ServeOptions(app="surge.demo:app", **kwargs), cpu_count=2, cwd=tmp_path)


def test_config_needs_no_surge_import(tmp_path: Path) -> None:
    text = render_config(_plan(tmp_path, log_dir=Path("logs")))
    imports = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Import | ast.ImportFrom)]
    modules = {a.name for n in imports if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in imports if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.startswith("surge") for m in modules)
    assert "surge.serve.standalone" not in text  # class references are local names


def test_config_sets_what_surge_sets(tmp_path: Path) -> None:
    plan = _plan(tmp_path, mode="gthread", workers=3, log_dir=Path("logs"), max_requests=50)
    namespace: dict[str, Any] = {}
    exec(compile(render_config(plan), "gunicorn.conf.py", "exec"), namespace)
    expected = settings_dict(gunicorn_settings(plan))
    cfg = Config()
    for name, value in namespace.items():
        if name in cfg.settings:
            cfg.set(name, value)
    assert namespace["wsgi_app"] == "surge.demo:app"
    for name in (
        "bind",
        "workers",
        "threads",
        "worker_class",
        "max_requests",
        "pidfile",
        "access_log_format",
    ):
        assert namespace[name] == expected[name], name
    assert cfg.workers == 3 and cfg.worker_class_str == "gthread"
    assert cfg.logger_class.__name__ == "ForwardedLogger"
    handler = namespace["logconfig_dict"]["handlers"]["access_file"]["()"]
    assert handler.__name__ == "SharedRotatingFileHandler"
    assert (tmp_path / "logs").is_dir() and (tmp_path / "surge-run").is_dir()  # the file creates them


def test_every_setting_is_commented(tmp_path: Path) -> None:
    lines = render_config(_plan(tmp_path)).split("# ---- settings ----")[1].strip().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith(("#", " ", "}")) and "=" in line:
            assert lines[index - 1].startswith("#"), line


def test_gevent_preload_patches_before_anything_else(tmp_path: Path) -> None:
    text = render_config(_plan(tmp_path, mode="gevent", preload=True))
    code_lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert code_lines[:2] == ["from gevent import monkey", "monkey.patch_all()"]
    assert "monkey.patch_all" not in render_config(_plan(tmp_path, mode="gevent"))


def test_flask_modes_have_no_gunicorn_config(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="gunicorn mode"):
        render_config(_plan(tmp_path, mode="flask-threaded"))
