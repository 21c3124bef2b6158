"""Load a Python scenario module into a Plan (in progress)."""

from __future__ import annotations

from pathlib import Path

from surge.errors import UsageError
from surge.plan import ClientOptions, LoadModel, Plan


def load_script_plan(path: Path, load: LoadModel, client: ClientOptions) -> Plan:
    raise UsageError(f"{path}: Python scenarios are not supported yet")
