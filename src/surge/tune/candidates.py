"""The deployments a tune compares: gunicorn mode, workers, threads or connections, and their grid."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from surge.errors import UsageError
from surge.serve.options import ServeOptions
from surge.serve.profiles import GUNICORN_MODES, PROFILES

# Flask's development server, measured as a reference row when asked for, never recommended.
REFERENCE_MODE = "flask-threaded"
# When two candidates serve equally well (within the noise), the simpler one is recommended:
# plain processes before threads, threads before monkey-patched coroutines.
_MODE_RANK = {"sync": 0, "gthread": 1, "gevent": 2, REFERENCE_MODE: 3}
DEFAULT_THREADS = (4, 16, 64)
DEFAULT_WORKER_CONNECTIONS = (100, 1000)


@dataclass(frozen=True)
class Candidate:
    """One way to serve the app. ``threads`` is set for gthread only, ``worker_connections`` for gevent."""

    mode: str
    workers: int
    threads: int | None = None
    worker_connections: int | None = None

    @property
    def reference(self) -> bool:
        """Flask's development server: shown for comparison, never recommended."""
        return self.mode == REFERENCE_MODE

    @property
    def key(self) -> str:
        """A short, stable name for files and JSON: ``gevent-w2-c1000``."""
        if self.reference:
            return "flask-dev-server"
        extra = ""
        if self.threads:
            extra = f"-t{self.threads}"
        elif self.worker_connections:
            extra = f"-c{self.worker_connections}"
        return f"{self.mode}-w{self.workers}{extra}"

    @property
    def per_worker(self) -> str:
        """``16 threads``, ``1000 connections`` or an empty string."""
        if self.threads:
            return f"{self.threads} threads"
        if self.worker_connections:
            return f"{self.worker_connections} connections"
        return ""

    @property
    def label(self) -> str:
        """``gevent, 2 workers x 1000 connections`` (for sentences)."""
        if self.reference:
            return "Flask development server (threaded)"
        noun = "worker" if self.workers == 1 else "workers"
        per_worker = f" x {self.per_worker}" if self.per_worker else ""
        return f"{self.mode}, {self.workers} {noun}{per_worker}"

    @property
    def concurrency(self) -> int:
        """Requests it can have in hand at once, roughly: a gevent worker's coroutines are counted
        up to 100, past which one core is the limit anyway."""
        if self.reference:
            return 100
        per_worker = self.threads or (min(self.worker_connections, 100) if self.worker_connections else 1)
        return self.workers * per_worker

    @property
    def family(self) -> tuple[str, int | None, int | None]:
        """The candidate without its worker count: the worker axis is walked within a family."""
        return (self.mode, self.threads, self.worker_connections)

    def cost(self) -> tuple[int, int, int]:
        """What it takes to run: fewer processes, then the simpler mode, then fewer threads.

        A gevent worker's connection limit costs nothing until it is reached: gunicorn's default
        is preferred to another limit.
        """
        if self.worker_connections is not None:
            default = PROFILES["gevent"].default_worker_connections
            third = 0 if self.worker_connections == default else 1
        else:
            third = self.threads or 0
        return (self.workers, _MODE_RANK[self.mode], third)

    def serve_options(
        self, app: str, *, bind: str, run_dir: Path, graceful_timeout_s: float, boot_timeout_s: float
    ) -> ServeOptions:
        """How ``surge serve`` runs this candidate: without access logs (they would cost every
        candidate CPU); started in the background, its error log goes to RUN_DIR/console.log."""
        return ServeOptions(
            app=app,
            mode=self.mode,
            workers=self.workers,
            threads=self.threads,
            worker_connections=self.worker_connections,
            bind=bind,
            run_dir=run_dir,
            graceful_timeout_s=graceful_timeout_s,
            daemon=False,
            log_dir=None,
            boot_timeout_s=boot_timeout_s,
        )

    def serve_args(self) -> list[str]:
        """The ``surge serve`` options that select this candidate."""
        args = ["--mode", self.mode]
        if not self.reference:
            args += ["--workers", str(self.workers)]
        if self.threads:
            args += ["--threads", str(self.threads)]
        if self.worker_connections:
            args += ["--worker-connections", str(self.worker_connections)]
        return args

    def serve_command(self, app: str) -> str:
        """The exact command that serves the app this way: ``surge serve APP --mode ...``."""
        return shlex.join(["surge", "serve", app, *self.serve_args()])


@dataclass(frozen=True)
class Space:
    """Which candidates a tune may measure: modes, worker counts and per-worker concurrency."""

    modes: tuple[str, ...]
    workers: tuple[int, ...]
    threads: tuple[int, ...] = DEFAULT_THREADS
    worker_connections: tuple[int, ...] = DEFAULT_WORKER_CONNECTIONS
    dev_server: bool = False

    def __post_init__(self) -> None:
        unknown = [mode for mode in self.modes if mode not in GUNICORN_MODES]
        if unknown:
            raise UsageError(
                f"unknown mode {unknown[0]!r} in --modes (choose from {', '.join(GUNICORN_MODES)};"
                " add --dev-server for Flask's development server as a reference)"
            )
        if not self.modes:
            raise UsageError("--modes names no mode")
        for name, values in (
            ("--workers", self.workers),
            ("--threads", self.threads),
            ("--worker-connections", self.worker_connections),
        ):
            if not values:
                raise UsageError(f"{name} names no value")
            if any(value < 1 for value in values):
                raise UsageError(f"{name} values must be at least 1, got {min(values)}")

    def families(self) -> list[tuple[str, int | None, int | None]]:
        """(mode, threads, connections) of every family, in the order of ``modes``."""
        found: list[tuple[str, int | None, int | None]] = []
        for mode in self.modes:
            if mode == "gthread":
                found += [(mode, threads, None) for threads in self.threads]
            elif mode == "gevent":
                found += [(mode, None, connections) for connections in self.worker_connections]
            else:
                found.append((mode, None, None))
        return found

    def grid(self) -> list[Candidate]:
        """Every candidate: each family at each worker count, then the reference row if asked."""
        candidates = [
            Candidate(mode, workers, threads, connections)
            for mode, threads, connections in self.families()
            for workers in self.workers
        ]
        if self.dev_server:
            candidates.append(reference_candidate())
        return candidates


def reference_candidate() -> Candidate:
    return Candidate(REFERENCE_MODE, 1)


def default_max_workers(server_cores: int) -> int:
    """gunicorn's rule of thumb for the cores the server has: 2 x cores + 1."""
    return 2 * max(1, server_cores) + 1


def parse_int_list(text: str, name: str) -> tuple[int, ...]:
    """``"4,16,64"`` -> (4, 16, 64), sorted, without repeats; anything else is a UsageError."""
    values: set[int] = set()
    for part in text.split(","):
        item = part.strip()
        if not item.isdigit():
            raise UsageError(f"invalid {name} {text!r} (expected numbers separated by commas, e.g. 4,16,64)")
        values.add(int(item))
    return tuple(sorted(values))


def parse_modes(text: str) -> tuple[str, ...]:
    """``"sync,gevent"`` -> ("sync", "gevent"), in the given order, without repeats."""
    modes: list[str] = []
    for part in text.split(","):
        mode = part.strip()
        if mode and mode not in modes:
            modes.append(mode)
    if not modes:
        raise UsageError(f"invalid --modes {text!r} (for example sync,gthread,gevent)")
    return tuple(modes)
