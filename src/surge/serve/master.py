"""The server process: ``python -m surge.serve.master STATE_FILE`` runs gunicorn or Flask's dev server.

It runs in a fresh interpreter so the master imports as little as possible: in gevent mode
the worker monkey-patches the stdlib at boot (gunicorn's own GeventWorker.patch), and nothing
here may patch or pull in network libraries before that. With --preload the app is imported
in the master, before any worker exists, so this module patches the master first, as gunicorn's
documentation advises for preloaded gevent apps (patch before the app and its libraries load).

Readiness and exit codes: ``surge.serve.handshake``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from surge.serve.handshake import EXIT_INTERRUPTED, announce_ready, take_ready_fd
from surge.serve.runfiles import ServerState


def prepare(state_file: Path) -> ServerState:
    """Read the server's state and, for a preloaded gevent app, monkey-patch the master.

    Runs while SIGINT is still blocked (see run): a KeyboardInterrupt in the middle of
    patch_all leaves threading half patched, and the interpreter then hangs at exit waiting
    for a lock nobody holds (seen: a Ctrl-C 0.15 s into the boot, surge serve waited forever).
    """
    state = ServerState.read(state_file)
    if state.mode == "gevent" and state.preload:
        from gevent import monkey

        monkey.patch_all()
    return state


def main(state_file: Path, state: ServerState) -> int:
    from surge.serve.profiles import GUNICORN_MODES  # like every import below: after the patch

    ready_fd = take_ready_fd()
    if state.mode not in GUNICORN_MODES:
        from surge.serve.devserver import run_dev_server

        return run_dev_server(state, ready_fd)

    from surge.serve.application import SurgeApplication
    from surge.serve.runfiles import boot_error_path

    def post_worker_init(worker: Any) -> None:
        announce_ready(ready_fd)

    application = SurgeApplication(
        state.app,
        state.settings,
        hooks={"post_worker_init": post_worker_init},
        directory=Path(state.directory),
        state_file=state_file,
        boot_error_file=boot_error_path(Path(state.pidfile)),
    )
    application.run()
    return 0


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C arrives twice (from the terminal, and passed on by surge serve): a second
    # KeyboardInterrupt would break into the clean-up of the first with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def run(argv: list[str]) -> int:
    """main() without a KeyboardInterrupt traceback: Ctrl-C can land before gunicorn handles INT.

    The launcher starts this process with SIGINT blocked, so that a Ctrl-C during the
    interpreter's start-up (and the gevent patch, see prepare) is held rather than raised in the
    middle of an import; from here on
    it is one KeyboardInterrupt, which ends the process quietly, until gunicorn (or the Flask
    development server) installs its own handler.
    """
    if len(argv) != 1:
        print("usage: python -m surge.serve.master STATE_FILE", file=sys.stderr)
        return 2
    state_file = Path(argv[0])
    state = prepare(state_file)  # SIGINT still blocked: a Ctrl-C meanwhile waits for the line below
    try:
        signal.signal(signal.SIGINT, _interrupt_once)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return main(state_file, state)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
