"""Turn a UserGroup's behaviour (a scenario-file Flow or a Python script) into a user function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from surge.engine.session import Session
from surge.plan import ScriptBehaviour
from surge.scenario.model import Flow

if TYPE_CHECKING:
    from surge.engine.worker import Worker

UserFunction = Callable[[Session], Awaitable[None]]


def user_function(behaviour: object, worker: Worker) -> tuple[UserFunction, str, str]:
    """(function called once per iteration, its name for error samples, base URL for relative URLs)."""
    if isinstance(behaviour, Flow):
        from surge.scenario.flow import compile_flow

        return compile_flow(behaviour, worker), "scenario", ""
    if isinstance(behaviour, ScriptBehaviour):
        from surge.scenario.script import load_user_function

        function = load_user_function(behaviour)
        return function, behaviour.function, behaviour.base_url
    raise TypeError(f"unknown user behaviour {type(behaviour).__name__}")
