"""Support code a standalone gunicorn.conf.py carries: real client address, shared log rotation, one quit.

This module imports only the standard library and gunicorn, because ``surge serve --print-config``
copies its source into the config file it writes, so that file runs under plain gunicorn.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging.handlers
import os
from typing import Any

from gunicorn.glogging import Logger


def _is_trusted(address: str, allowed: list[str]) -> bool:
    if "*" in allowed:
        return True
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(peer: str | None, forwarded_for: str | None, allowed: list[str]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, from X-Forwarded-For.

    Proxies append to X-Forwarded-For, so it is read from the right, skipping trusted proxies:
    the first untrusted hop is the client. Entries left of it could have been forged by the client.
    """
    if not peer:
        return "-"
    if not forwarded_for or not _is_trusted(peer, allowed):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, allowed):
            return hop
    return hops[0] if hops else peer


class ForwardedLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with one more access-log atom, ``%(client)s`` (see client_address)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        allowed = self.cfg.forwarded_allow_ips
        if isinstance(allowed, str):
            allowed = allowed.split(",")
        atoms["client"] = client_address(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), list(allowed)
        )
        return atoms


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A size-rotating log file that several worker processes write at once.

    The stdlib handler assumes one writer: after one process rotates, the others keep writing
    into the renamed file. Here every process reopens the file when it was moved, and the
    rotation itself runs under an exclusive lock, re-checked so that only one process rotates.
    """

    def __init__(
        self, filename: str, maxBytes: int = 0, backupCount: int = 0, encoding: str | None = "utf-8"
    ) -> None:
        super().__init__(filename, mode="a", maxBytes=maxBytes, backupCount=backupCount, encoding=encoding)
        self._lock_path = self.baseFilename + ".lock"

    def _same_file_on_disk(self) -> bool:
        if self.stream is None:
            return False
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return False
        ours = os.fstat(self.stream.fileno())
        return (on_disk.st_dev, on_disk.st_ino) == (ours.st_dev, ours.st_ino)

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not None and not self._same_file_on_disk():
            self._reopen()
        super().emit(record)

    def doRollover(self) -> None:
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not self._same_file_on_disk():
                    # Another process rotated while we waited for the lock: write to the new file.
                    self._reopen()
                    return
                if self.stream is not None and os.fstat(self.stream.fileno()).st_size < self.maxBytes:
                    return
                super().doRollover()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def quit_once(server: Any, worker: Any) -> None:
    """gunicorn's post_fork hook: a worker acts on its first INT or QUIT only, without a traceback.

    Ctrl-C in a terminal signals the whole process group, so a worker gets INT from the terminal
    and QUIT from its master (twice if the master is asked twice). gunicorn's quick quit raises
    SystemExit wherever the worker is:
    - gevent runs each quit in a new greenlet; the second one fails inside the exiting
      interpreter and prints a SystemExit traceback. Only the first quit is acted on.
    - a sync worker is inside the app's request: gunicorn answers it 500 and logs a traceback;
      a gthread worker's quit shuts its thread pool down from the signal handler and can take a
      lock its main thread holds, which hangs the worker until the master kills it. These
      workers stop as on TERM instead: no new requests, the ones in hand finish (the master
      kills whatever is left after the graceful timeout).
    The worker's own handle_quit is replaced before the worker installs its signal handlers, so
    the rule holds from then on, also while the app is still loading.
    """
    from gunicorn.workers.base_async import AsyncWorker

    handle_quit = worker.handle_quit
    greenlets = isinstance(worker, AsyncWorker)
    quitting = False

    def first_quit_only(signum: int, frame: Any) -> None:
        nonlocal quitting
        if quitting:
            return
        quitting = True
        if greenlets:
            handle_quit(signum, frame)
        else:
            worker.cfg.worker_int(worker)
            worker.handle_exit(signum, frame)

    worker.handle_quit = first_quit_only
