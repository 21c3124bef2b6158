"""Importing MODULE:APP: every failure is one line naming the problem, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from surge.errors import UsageError
from surge.serve.loader import load_app

MODULES = {
    "okapp_surge_t": "def app(environ, start_response):\n    return []\n",
    "factory_surge_t": "def create(name='x'):\n    def app(e, s):\n        return []\n    return app\n",
    "broken_surge_t": "import json\nraise RuntimeError('no database')\n",
    "syntax_surge_t": "def app(:\n",
    "deps_surge_t": "import surely_not_installed_xyz\n",
    "notcallable_surge_t": "app = 42\n",
}


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Path]:
    for name, source in MODULES.items():
        (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    yield tmp_path
    for name in MODULES:
        sys.modules.pop(name, None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def test_loads_from_the_given_folder(modules: Path) -> None:
    assert callable(load_app("okapp_surge_t:app", directory=modules))
    assert callable(load_app("factory_surge_t:create('y')", directory=modules))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("no_such_module_surge_t:app", "cannot import 'no_such_module_surge_t': no module named"),
        ("okapp_surge_t:missing", "Failed to find attribute 'missing'"),
        ("broken_surge_t:app", "RuntimeError: no database"),
        ("syntax_surge_t:app", "SyntaxError"),
        ("deps_surge_t:app", "no module named 'surely_not_installed_xyz'"),
        ("notcallable_surge_t:app", "must be callable"),
    ],
)
def test_failures_are_one_line(modules: Path, uri: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_app(uri, directory=modules)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_error_names_the_file_and_line(modules: Path) -> None:
    with pytest.raises(UsageError, match=r"broken_surge_t\.py:2\)"):
        load_app("broken_surge_t:app", directory=modules)
