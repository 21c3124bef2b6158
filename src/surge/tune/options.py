"""What ``surge tune`` accepts (TuneOptions), with its defaults declared once, here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from surge.serve.profiles import GUNICORN_MODES
from surge.tune.candidates import DEFAULT_THREADS, DEFAULT_WORKER_CONNECTIONS
from surge.tune.load import LoadSource

DEFAULT_SLO = ("p99<500ms",)
# Unless the SLO has an error_rate of its own: a server that answers fast with errors serves nobody.
DEFAULT_ERROR_RATE = "error_rate<1%"
DEFAULT_BUDGET_S = 600.0
MIN_BUDGET_S = 10.0


@dataclass(frozen=True)
class TuneOptions:
    """Everything ``surge tune`` accepts."""

    app: str
    source: LoadSource
    slo: tuple[str, ...] = ()
    modes: tuple[str, ...] = GUNICORN_MODES
    max_workers: int | None = None  # None: 2 x the server's cores + 1
    workers: tuple[int, ...] | None = None  # an explicit list instead of 1..max_workers
    threads: tuple[int, ...] = DEFAULT_THREADS
    worker_connections: tuple[int, ...] = DEFAULT_WORKER_CONNECTIONS
    dev_server: bool = False
    budget_s: float = DEFAULT_BUDGET_S
    exhaustive: bool = False
    repeats: int = 1  # fine measurements of each leader after its first
    generator_cores: int | None = None
    out_dir: Path = Path("surge-tune")
