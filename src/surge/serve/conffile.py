"""Write the standalone, commented gunicorn.conf.py equivalent to a ``surge serve`` command line."""

from __future__ import annotations

import inspect
import pprint
import textwrap
from typing import Any

from surge import __version__
from surge.errors import UsageError
from surge.serve import standalone
from surge.serve.options import ServePlan
from surge.serve.settings import HANDLER_CLASS, LOGGER_CLASS, QUIT_ONCE_HOOK, gunicorn_settings

# In the written file these classes are defined above the settings, so they are referred to
# by name rather than by surge's import path: the file must not need surge installed.
_LOCAL_NAMES = {
    HANDLER_CLASS: "SharedRotatingFileHandler",
    LOGGER_CLASS: "ForwardedLogger",
    QUIT_ONCE_HOOK: "quit_once",
}


def _support_code() -> str:
    """standalone.py's source minus its docstring and __future__ import (the file starts elsewhere)."""
    source = inspect.getsource(standalone)
    tree_start = source.index('"""', source.index('"""') + 3) + 3
    body = source[tree_start:].lstrip("\n")
    return body.replace("from __future__ import annotations\n\n", "", 1)


def _render_value(value: Any) -> str:
    text = pprint.pformat(value, indent=1, width=100, sort_dicts=False)
    for dotted, local in _LOCAL_NAMES.items():
        text = text.replace(repr(dotted), local)
    return text


def _comment(text: str) -> str:
    return "\n".join(f"# {line}" for line in textwrap.wrap(text, width=96))


def render_config(plan: ServePlan) -> str:
    """The gunicorn.conf.py text; ``gunicorn -c gunicorn.conf.py MODULE:APP`` runs the same server."""
    opts = plan.options
    if not plan.profile.is_gunicorn:
        raise UsageError(f"--print-config needs a gunicorn mode; --mode {opts.mode} is Flask's dev server")
    parts = [
        f"# gunicorn.conf.py for {opts.app}, written by `surge serve --print-config` (surge {__version__}).",
        f"# Run it with plain gunicorn:  gunicorn -c gunicorn.conf.py {opts.app}",
        "# Every name below the support code is a gunicorn setting; the comment above it says why.",
        "",
    ]
    if opts.mode == "gevent" and opts.preload:
        parts += [
            "# gevent with preload_app: the app is imported in the master, before any worker patches",
            "# the standard library, so patch here, before anything else is imported (gunicorn's advice).",
            "from gevent import monkey",
            "",
            "monkey.patch_all()",
            "",
        ]
    parts += [
        "# ---- support code: the access log's %(client)s atom, a log file that workers rotate together,"
        " one quit per worker ----",
        _support_code().rstrip(),
        "",
        "",
    ]
    folders = sorted({str(plan.pidfile.parent), *([str(plan.log_dir)] if plan.log_dir else [])})
    parts += [
        "# gunicorn does not create the folders of the pidfile and the log files.",
        *(f"os.makedirs({folder!r}, exist_ok=True)" for folder in folders),
        "",
        "",
        "# ---- settings ----",
    ]
    for row in gunicorn_settings(plan, standalone=True):
        parts.append(_comment(row.why))
        parts.append(f"{row.name} = {_render_value(row.value)}")
        parts.append("")
    return "\n".join(parts)
