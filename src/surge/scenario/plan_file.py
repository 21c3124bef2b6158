"""Load a TOML scenario file into a Plan (in progress)."""

from __future__ import annotations

from pathlib import Path

from surge.errors import UsageError
from surge.plan import Plan


def load_plan_file(path: Path) -> Plan:
    raise UsageError(f"{path}: scenario files are not supported yet")
