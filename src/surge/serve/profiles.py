"""The five serving modes as data: gunicorn worker class, defaults and what each is good at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How one ``--mode`` maps onto a server and its defaults."""

    mode: str
    # gunicorn worker class, or None for Flask's development server.
    worker_class: str | None
    default_threads: int | None
    default_worker_connections: int | None
    summary: str

    @property
    def is_gunicorn(self) -> bool:
        return self.worker_class is not None


PROFILES: dict[str, Profile] = {
    p.mode: p
    for p in (
        Profile(
            "sync",
            "sync",
            None,
            None,
            "one request at a time per worker process; good for CPU-bound work behind a buffering proxy",
        ),
        Profile(
            "gthread",
            "gthread",
            4,
            1000,
            "a pool of threads per worker process; IO waits overlap, keep-alive connections are cheap",
        ),
        Profile(
            "gevent",
            "gevent",
            None,
            1000,
            "coroutines per worker process (the stdlib is monkey-patched by the worker at boot);"
            " many concurrent IO-bound requests",
        ),
        Profile(
            "flask-threaded",
            None,
            None,
            None,
            "Flask's development server, one thread per request: for comparison only, not for production",
        ),
        Profile(
            "flask-processes",
            None,
            None,
            None,
            "Flask's development server, one forked process per request: for comparison only,"
            " not for production",
        ),
    )
}

MODES = tuple(PROFILES)
GUNICORN_MODES = tuple(mode for mode, profile in PROFILES.items() if profile.is_gunicorn)
