"""Python users (``surge run -s scenario.py``): load the module and check its user function.

The module defines ``async def user(session)``, called again and again by every virtual user
(one call is one iteration); ``session`` is a ``surge.engine.session.Session``. An optional
module-level ``BASE_URL`` is the base of relative URLs (a URL given on the command line wins).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from surge.engine.redirects import SessionOptions
from surge.engine.unit import BoundBehaviour, WorkerContext
from surge.errors import UsageError
from surge.plan import ClientOptions, LoadModel, Plan, Request, UserGroup
from surge.scenario.sessions import with_options

_MODULES: dict[str, ModuleType] = {}  # one import per process and path


@dataclass(frozen=True)
class ScriptBehaviour:
    """Users run ``function`` of the Python module at ``path`` once per iteration (``surge run -s``).

    ``source``, when set, is the module's text, carried to machines that do not have the file
    (cluster mode, see ``portable``); the module is then built from it.
    """

    path: str
    function: str = "user"
    base_url: str = ""
    source: str | None = None
    options: SessionOptions | None = None  # None: the session's defaults (cookies kept, redirects followed)

    def bind(self, context: WorkerContext) -> BoundBehaviour:
        """The module's user function, imported once per worker (``surge.engine.unit.Behaviour``)."""
        function = load_user_function(self)
        if self.options is not None:
            function = with_options(function, self.options)
        return BoundBehaviour(function, self.function, self.base_url)

    def portable(self) -> ScriptBehaviour:
        """The same behaviour carrying the module's source, to run where the file is not.

        Only this module travels: modules it imports from its own folder must be installed on
        the other machines (docs/cluster.md).
        """
        if self.source is not None:
            return self
        try:
            source = Path(self.path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read Python scenario {self.path}: {exc.strerror or exc}") from exc
        return replace(self, source=source)


def load_module(path: Path) -> ModuleType:
    key = str(path.resolve())
    module = _MODULES.get(key)
    if module is not None:
        return module
    if not path.is_file():
        raise UsageError(f"cannot read Python scenario {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"surge_scenario_{len(_MODULES)}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load Python scenario {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # the scenario may import its neighbours
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise UsageError(f"{path}:{exc.lineno}: invalid Python: {exc.msg}") from exc
    except Exception as exc:  # the user's module failed at import: say where, no traceback
        raise UsageError(f"{path}: importing it raised {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(str(path.resolve().parent))
    _MODULES[key] = module
    return module


def load_source_module(path: str, source: str) -> ModuleType:
    """A module built from its source text, once per process and path (``load_module``, from text)."""
    key = f"source:{path}"
    module = _MODULES.get(key)
    if module is not None:
        return module
    module = ModuleType(f"surge_scenario_{len(_MODULES)}")
    module.__file__ = path
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    except SyntaxError as exc:
        raise UsageError(f"{path}:{exc.lineno}: invalid Python: {exc.msg}") from exc
    except Exception as exc:  # the user's module failed at import: say where, no traceback
        raise UsageError(f"{path}: importing it raised {type(exc).__name__}: {exc}") from exc
    _MODULES[key] = module
    return module


def load_user_function(behaviour: ScriptBehaviour) -> Callable[[Any], Awaitable[None]]:
    if behaviour.source is not None:
        module = load_source_module(behaviour.path, behaviour.source)
    else:
        module = load_module(Path(behaviour.path))
    function = getattr(module, behaviour.function, None)
    if function is None or not inspect.iscoroutinefunction(function):
        raise UsageError(
            f"{behaviour.path}: define `async def {behaviour.function}(session)` (called once per iteration)"
        )
    if len(inspect.signature(function).parameters) != 1:
        raise UsageError(f"{behaviour.path}: {behaviour.function}() must take one argument, the session")
    result: Callable[[Any], Awaitable[None]] = function
    return result


def load_script_plan(path: Path, load: LoadModel, client: ClientOptions, base_url: str = "") -> Plan:
    """A one-group plan whose users run the module's ``user`` function; checked before the run."""
    if load.is_open:
        raise UsageError("Python users need the closed model (-u users), not an arrival rate")
    behaviour = ScriptBehaviour(str(path.resolve()), "user", base_url)
    load_user_function(behaviour)
    module = load_module(path)
    if not base_url:
        base_url = getattr(module, "BASE_URL", "")
        if not isinstance(base_url, str):
            raise UsageError(f"{path}: BASE_URL must be a string")
        behaviour = ScriptBehaviour(behaviour.path, "user", base_url)
    if base_url:
        Request(base_url)  # validates it
    return Plan(groups=(UserGroup(requests=(), load=load, behaviour=behaviour),), client=client)
