"""Measure one candidate for real: serve it on a free loopback port, warm it up, find its highest
rate at the SLO, and stop it, whatever happens (a failure, a crash, a hang, Ctrl-C)."""

from __future__ import annotations

import contextlib
import http.client
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from surge.errors import SurgeError
from surge.plan import Threshold
from surge.serve.launch import RunningServer, start_server
from surge.serve.options import ServePlan, plan_serve
from surge.tune.candidates import Candidate
from surge.tune.cores import CoreSplit, core_clock, foreign_share, pin_tree, pinned
from surge.tune.load import TrialLoad
from surge.tune.ratesearch import (
    DEFAULT_START_RATE_PER_S,
    DEFAULT_START_USERS,
    MIN_RATE_PER_S,
    OVERLOAD_SHARE,
    PACE_START,
    TRIAL_OVERHEAD_S,
    SearchResult,
    SearchSettings,
    Stop,
    StopSearch,
    search_max,
)
from surge.tune.trial import DISTURBED_SHARE, Outcome, Trial, TrialRunner

# Workers get this long to finish their requests when a candidate is stopped; a tune stops many.
GRACEFUL_TIMEOUT_S = 3.0
# A candidate whose workers have not booted by then has failed (the app's import hangs).
BOOT_TIMEOUT_S = 30.0
# Starting a server on a port another program took meanwhile is tried again on a new port.
PORT_ATTEMPTS = 3
WARMUP_S = 1.0
# A candidate is not started with less time than this left: boot, warm-up and one short trial.
MIN_MEASUREMENT_S = 5.0
# After an overloaded trial the server works off its backlog; it is back to normal when a probe
# answers about as fast as right after the warm-up.
RECOVERY_LIMIT_S = 10.0
# A failed trial disturbed by other programs is tried again this many times, after waiting (up
# to QUIET_WAIT_S) for the cores to be quieter.
DISTURBED_RETRIES = 1
QUIET_WAIT_S = 1.0
# The first guess at a candidate's rate never starts higher than this (see estimated_rate).
MAX_START_RATE_PER_S = 2000.0
_PROBE_TIMEOUT_S = 2.0
_PROBE_PAUSE_S = 0.1


class Status(StrEnum):
    """What one measurement of a candidate found."""

    OK = "ok"  # a highest rate at the SLO was found
    GENERATOR_LIMITED = "generator_limited"  # the load generator ran out before the server did
    SLO_NOT_MET = "slo_not_met"  # not even the lowest rate met the SLO
    FAILED = "failed"  # did not start, crashed or stopped answering
    INTERRUPTED = "interrupted"
    NOT_MEASURED = "not_measured"  # skipped by the search, or no time left


@dataclass(frozen=True)
class Measurement:
    """One measurement of one candidate (a candidate measured twice has two)."""

    candidate: Candidate
    settings: str  # the search settings' name: "screen" or "fine"
    status: Status
    trials: tuple[Trial, ...] = ()
    best: Trial | None = None  # the highest passing trial
    precision: float | None = None  # how far the real maximum may lie above best (relative)
    reason: str = ""
    elapsed_s: float = 0.0
    boot_s: float = 0.0

    @property
    def max_level(self) -> float | None:
        return self.best.level if self.best is not None else None


@dataclass
class Budget:
    """The tune's wall-time budget: a deadline on the monotonic clock."""

    deadline_s: float
    spent_by: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, budget_s: float) -> Budget:
        return cls(time.monotonic() + budget_s)

    def remaining_s(self) -> float:
        return self.deadline_s - time.monotonic()

    def can_afford(self, cost_s: float) -> bool:
        return self.remaining_s() >= cost_s


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Something listens on (or holds) 127.0.0.1:port now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def probe_ms(url: str, timeout_s: float = _PROBE_TIMEOUT_S) -> float | None:
    """How long one GET takes to be answered now (any status), or None when it is not answered."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    started = time.monotonic()
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout_s)
    try:
        connection.request("GET", target)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    return (time.monotonic() - started) * 1000.0


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C while a server is being stopped: it is delivered once the stop is done."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class CandidateMeasurer:
    """Serves and measures candidates one at a time; ``on_trial`` hears of every trial."""

    def __init__(
        self,
        app: str,
        load: TrialLoad,
        slo: tuple[Threshold, ...],
        cores: CoreSplit,
        work_dir: Path,
        *,
        directory: Path,
        on_trial: Callable[[Candidate, Trial], None] | None = None,
        on_server: Callable[[Candidate, RunningServer], None] | None = None,
    ) -> None:
        self.app = app
        self.load = load
        self.slo = slo
        self.cores = cores
        self.work_dir = work_dir
        self.directory = directory
        self.on_trial = on_trial
        self.on_server = on_server

    def measure(
        self, candidate: Candidate, settings: SearchSettings, *, hint: float | None, budget: Budget
    ) -> Measurement:
        """Serve ``candidate`` and find its highest rate at the SLO; the server is always stopped."""
        started = time.monotonic()
        if not budget.can_afford(MIN_MEASUREMENT_S):
            return Measurement(
                candidate,
                settings.name,
                Status.NOT_MEASURED,
                reason="not measured: no time left in the budget",
            )
        server: RunningServer | None = None
        trials: list[Trial] = []  # kept here too, so that an interrupted search keeps its trials
        boot_s = 0.0
        try:
            try:
                server, serve_plan = self._start(candidate)
            except SurgeError as exc:
                return Measurement(
                    candidate,
                    settings.name,
                    Status.FAILED,
                    reason=f"did not start: {exc}",
                    elapsed_s=time.monotonic() - started,
                )
            boot_s = time.monotonic() - started
            if not self.cores.shared:
                pin_tree(server.master_pid, self.cores.server)
            if self.on_server is not None:
                self.on_server(candidate, server)
            with pinned(self.cores.generator):
                search = self._search(candidate, server, serve_plan.url, settings, hint, budget, trials)
            return _measurement(candidate, settings, search, trials, time.monotonic() - started, boot_s)
        except KeyboardInterrupt:
            passed = [t for t in trials if t.outcome is Outcome.PASSED]
            interrupted = SearchResult(
                trials=trials,
                best=max(passed, key=lambda t: t.level) if passed else None,
                stop=Stop.INTERRUPTED,
                note="interrupted",
            )
            return _measurement(candidate, settings, interrupted, trials, time.monotonic() - started, boot_s)
        finally:
            if server is not None:
                with _no_interrupt():
                    server.stop()

    def _start(self, candidate: Candidate) -> tuple[RunningServer, ServePlan]:
        """Serve the candidate on a free loopback port, on the server's cores.

        The port is free when chosen, but another program may take it before the server binds
        it: then the server is started again on another port (a few times at most).
        """
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_loopback_port()
            serve_plan = plan_serve(
                candidate.serve_options(
                    self.app,
                    bind=f"127.0.0.1:{port}",
                    run_dir=self.work_dir / "servers" / candidate.key,
                    graceful_timeout_s=GRACEFUL_TIMEOUT_S,
                    boot_timeout_s=BOOT_TIMEOUT_S,
                ),
                cwd=self.directory,
            )
            try:
                with pinned(self.cores.server):
                    server = start_server(
                        serve_plan, background=True, directory=self.directory, check_app=False
                    )
            except SurgeError:
                if attempt < PORT_ATTEMPTS and port_in_use(port):
                    continue
                raise
            return server, serve_plan
        raise AssertionError("unreachable")

    def _search(
        self,
        candidate: Candidate,
        server: RunningServer,
        base_url: str,
        settings: SearchSettings,
        hint: float | None,
        budget: Budget,
        trials: list[Trial],
    ) -> SearchResult:
        runner = TrialRunner(
            self.load,
            self.slo,
            base_url=base_url,
            server_pid=server.master_pid,
            results_path=self.work_dir / "trial.jtl",
            cores=self.cores,
        )
        probe_url = self.load.probe_url(base_url)
        closed = self.load.closed
        if not budget.can_afford(WARMUP_S + 1.0):
            return SearchResult(stop=Stop.BUDGET, note="the tune's time budget ran out")
        # How fast the idle server answers: what "back to normal" means after an overload, and,
        # with nothing better to start from, a first guess at the candidate's rate.
        baseline_ms = _baseline_ms(probe_url)
        start = None
        if hint is None and not closed and baseline_ms is not None:
            service_ms = _service_ms(self.load.probe_urls(base_url), probe_url, baseline_ms)
            start = estimated_rate(candidate, service_ms)
        warm_level = max(
            1.0, (hint or start or (DEFAULT_START_USERS if closed else DEFAULT_START_RATE_PER_S)) / 2
        )
        warm = runner.run(warm_level, WARMUP_S, judge=False)
        if warm.outcome is Outcome.INTERRUPTED:
            return SearchResult(stop=Stop.INTERRUPTED, note="interrupted")
        if warm.outcome is Outcome.NO_RESPONSE or not warm.server_alive:
            return SearchResult(
                stop=Stop.NO_RESPONSE, note=f"while warming up: {warm.reason or 'server exited'}"
            )
        if not closed and 0 < warm.response_rate_per_s < OVERLOAD_SHARE * warm_level:
            # The warm-up overloaded the server: start from the pace it kept, once it has caught up.
            start = PACE_START * warm.response_rate_per_s
            hint = None
        _recovered(probe_url, baseline_ms, min(RECOVERY_LIMIT_S, max(0.0, budget.remaining_s())))
        if baseline_ms is not None:
            # Once warm, the idle server answers faster than on its very first requests.
            baseline_ms = min(baseline_ms, _baseline_ms(probe_url) or baseline_ms)

        def run(level: float) -> Trial:
            duration_s = settings.trial_duration_s(level, closed)
            retries = 0
            while True:
                self._check_alive(server)
                trial = runner.run(level, duration_s)
                trials.append(trial)
                if self.on_trial is not None:
                    self.on_trial(candidate, trial)
                self._check_alive(server)
                if trial.outcome in (Outcome.FAILED, Outcome.LIMITED) and not _recovered(
                    probe_url, baseline_ms, min(RECOVERY_LIMIT_S, max(0.0, budget.remaining_s()))
                ):
                    raise StopSearch(
                        Stop.NOT_RECOVERED,
                        f"after the trial at {level:g} {self.load.level_unit} the server did not answer"
                        f" normally again within {RECOVERY_LIMIT_S:g}s",
                    )
                # A failure while other programs took the cores may be theirs: once it is quieter,
                # the same level again (a pass is kept: the disturbance only made it harder).
                # On a machine that stays busy there is no quieter moment to wait for: no retry.
                if (
                    trial.outcome is Outcome.FAILED
                    and trial.disturbed
                    and retries < DISTURBED_RETRIES
                    and budget.can_afford(duration_s + TRIAL_OVERHEAD_S + QUIET_WAIT_S)
                    and wait_quiet(self.cores, QUIET_WAIT_S)
                ):
                    retries += 1
                    continue
                return trial

        return search_max(run, settings, closed=closed, hint=hint, start=start, can_afford=budget.can_afford)

    @staticmethod
    def _check_alive(server: RunningServer) -> None:
        code = server.process.poll()
        if code is not None:
            raise StopSearch(
                Stop.SERVER_EXITED, f"the server exited during the trials ({server.failure(code)})"
            )


def wait_quiet(cores: CoreSplit, limit_s: float, *, window_s: float = 0.25) -> bool:
    """Wait (up to ``limit_s``) until other programs leave the tune's cores mostly idle."""
    deadline = time.monotonic() + limit_s
    while True:
        start = core_clock()
        time.sleep(window_s)
        if foreign_share(start, core_clock(), cores, 0.0) <= DISTURBED_SHARE:
            return True
        if time.monotonic() >= deadline:
            return False


def _baseline_ms(url: str) -> float | None:
    """The fastest of a few probes: how quickly the idle server answers (None if it does not)."""
    times: list[float] = []
    for _ in range(3):
        taken = probe_ms(url)
        if taken is None:
            break  # a server that does not answer one probe will not answer the next sooner
        times.append(taken)
    return min(times) if times else None


def _service_ms(urls: list[tuple[str, float]], probed_url: str, probed_ms: float) -> float:
    """The idle server's time for the load's typical request: its GET URLs' times, by their share."""
    total = 0.0
    for url, share in urls:
        taken = probed_ms if url == probed_url else _baseline_ms(url)
        if taken is None:
            return probed_ms
        total += share * taken
    return total


def estimated_rate(candidate: Candidate, service_ms: float) -> float:
    """A first guess at a candidate's highest rate: the requests it serves at once over the time one
    takes when the server is idle (Little's law), short of what a CPU-bound app would allow.

    Only a start: the search steps from it by a factor of two either way.
    """
    per_s = candidate.concurrency * 1000.0 / max(service_ms, 0.5)
    return min(MAX_START_RATE_PER_S, max(MIN_RATE_PER_S * 5, 0.8 * per_s))


def _recovered(url: str, baseline_ms: float | None, limit_s: float) -> bool:
    """Wait (up to ``limit_s``) until a probe answers about as fast as the idle server did."""
    if baseline_ms is None:
        return True  # the probe never worked on this app: nothing to compare with
    good_ms = max(3 * baseline_ms, baseline_ms + 50.0)
    deadline = time.monotonic() + limit_s
    while True:
        taken = probe_ms(url)
        if taken is not None and taken <= good_ms:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_PROBE_PAUSE_S)


def _measurement(
    candidate: Candidate,
    settings: SearchSettings,
    search: SearchResult,
    trials: list[Trial],
    elapsed_s: float,
    boot_s: float,
) -> Measurement:
    stop = search.stop
    if search.best is not None:
        status = Status.OK
        if stop is Stop.LIMITED or stop is Stop.CEILING:
            status = Status.GENERATOR_LIMITED
        elif stop is Stop.INTERRUPTED:
            status = Status.INTERRUPTED
    elif stop is Stop.FLOOR:
        status = Status.SLO_NOT_MET
    elif stop is Stop.LIMITED:
        status = Status.GENERATOR_LIMITED
    elif stop is Stop.INTERRUPTED:
        status = Status.INTERRUPTED
    elif stop is Stop.BUDGET:
        status = Status.NOT_MEASURED
    else:
        status = Status.FAILED
    reason = search.note
    if status is Status.INTERRUPTED and search.best is not None:
        reason = f"interrupted; met the SLO up to {search.best.level:g} so far"
    if status is Status.OK and stop not in (Stop.BRACKETED, Stop.CEILING):
        # Measured, but the search ended early: the figure is a lower bound.
        reason = f"search ended early: {search.note}"
    return Measurement(
        candidate,
        settings.name,
        status,
        trials=tuple(trials),
        best=search.best,
        precision=search.precision,
        reason=reason,
        elapsed_s=elapsed_s,
        boot_s=boot_s,
    )
