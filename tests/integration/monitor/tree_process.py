"""A small process tree driven over stdin, for the sampler tests (bounded: it exits after 60 s).

Commands, one a line: ``spin S`` forks a child that burns S seconds of CPU, exits and is reaped
(answers ``reaped PID``); ``hold`` forks a child that sleeps until the tree ends (``child PID``);
``listen`` opens a listening socket and connects to it (``connected PORT``); ``quit`` ends it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

LIFETIME_S = 60


def spin(cpu_s: float) -> None:
    start = time.process_time()
    while time.process_time() - start < cpu_s:
        pass


def main() -> None:
    signal.alarm(LIFETIME_S)
    held: list[int] = []
    sockets: list[socket.socket] = []
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "spin":
            pid = os.fork()
            if pid == 0:
                spin(float(arg))
                os._exit(0)
            os.waitpid(pid, 0)
            print(f"reaped {pid}", flush=True)
        elif command == "hold":
            pid = os.fork()
            if pid == 0:
                signal.alarm(LIFETIME_S)
                time.sleep(LIFETIME_S)
                os._exit(0)
            held.append(pid)
            print(f"child {pid}", flush=True)
        elif command == "listen":
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen()
            client = socket.create_connection(server.getsockname())
            accepted, _ = server.accept()
            sockets += [server, client, accepted]
            print(f"connected {server.getsockname()[1]}", flush=True)
        elif command == "quit":
            break
    for pid in held:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
