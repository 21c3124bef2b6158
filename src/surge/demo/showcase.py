"""``surge demo`` end to end: serve the demo app under gunicorn, load-test it, build the HTML report.

Library code: it reports what happens through callbacks and returns the results; the CLI prints.
Everything is validated (plan_demo) before anything starts, and the server is always stopped,
also when the run is interrupted or the report fails.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from surge.errors import UsageError
from surge.serve.launch import RunningServer, start_server
from surge.serve.options import ServeOptions, ServePlan, plan_serve

if TYPE_CHECKING:
    from surge.engine.runner import Progress, RunResult
    from surge.plan import Plan
    from surge.report.build import BuildResult

DEMO_APP = "surge.demo:app"
PREDICT_BODY = json.dumps({"features": [0.5, -1.0, 2.0, 0.25]}).encode()
DEFAULT_DURATION_S = 30.0
DEFAULT_RAMP_UP_S = 10.0
# Without --ramp-up, users start over this share of the run at most (10s of the default 30s), so
# every duration has a ramp-up that fits, and most of a short run is still at full load.
RAMP_UP_SHARE = 1 / 3


def default_ramp_up_s(duration_s: float) -> float:
    """The ramp-up when none is given: 10s, or a third of a run shorter than 30s."""
    return min(DEFAULT_RAMP_UP_S, duration_s * RAMP_UP_SHARE)


@dataclass(frozen=True)
class DemoOptions:
    duration_s: float = DEFAULT_DURATION_S
    users: int = 20
    ramp_up_s: float | None = None  # None: default_ramp_up_s(duration_s)
    mode: str = "gevent"
    workers: int | None = None  # None: auto
    out_dir: Path = Path("surge-demo")

    @property
    def effective_ramp_up_s(self) -> float:
        return default_ramp_up_s(self.duration_s) if self.ramp_up_s is None else self.ramp_up_s


@dataclass(frozen=True)
class DemoPlan:
    """Everything ``surge demo`` will do, validated: the server, the load and where the files go."""

    options: DemoOptions
    out_dir: Path
    serve_plan: ServePlan
    load_plan: Plan


@dataclass(frozen=True)
class DemoResult:
    serve_plan: ServePlan
    run: RunResult
    report: BuildResult


def free_loopback_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (free now; the server binds it right after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_serve_plan(options: DemoOptions, port: int) -> ServePlan:
    out = options.out_dir.resolve()
    return plan_serve(
        ServeOptions(
            app=DEMO_APP,
            mode=options.mode,
            workers=options.workers,
            bind=f"127.0.0.1:{port}",
            run_dir=out / "run",
            log_dir=out / "logs",
            daemon=True,
            graceful_timeout_s=5.0,
        )
    )


@dataclass(frozen=True)
class JourneyStep:
    """One request of the demo's journey, relative to the served app."""

    path: str
    label: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


# The demo's IO-bound, CPU-bound and model endpoints, mixed: the load test's journey, and the
# requests ``surge demo --tune`` sends in turn.
JOURNEY = (
    JourneyStep("/", "hello"),
    JourneyStep("/io?ms=50", "io 50ms"),
    JourneyStep("/predict", "predict", "POST", (("Content-Type", "application/json"),), PREDICT_BODY),
    JourneyStep("/io?ms=50", "io 50ms"),
    JourneyStep("/cpu?n=20000", "cpu 20k"),
    JourneyStep("/health", "health"),
)


def demo_load_plan(base_url: str, options: DemoOptions) -> Plan:
    """Users ramping up over a journey mixing the demo's IO-bound, CPU-bound and model endpoints."""
    from surge.plan import LoadModel, Plan, Request, UserGroup

    journey = tuple(
        Request(f"{base_url}{s.path}", method=s.method, headers=s.headers, body=s.body, label=s.label)
        for s in JOURNEY
    )
    load = LoadModel(
        users=options.users, ramp_up_s=options.effective_ramp_up_s, duration_s=options.duration_s
    )
    return Plan(groups=(UserGroup(requests=journey, load=load, name="demo"),))


def plan_demo(options: DemoOptions) -> DemoPlan:
    """Check every option and build both plans; raises UsageError before anything has started."""
    out = options.out_dir.resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {options.out_dir} is a file; give a folder for the demo's files")
    serve_plan = demo_serve_plan(options, free_loopback_port())
    load_plan = demo_load_plan(serve_plan.url, options)  # LoadModel checks duration and ramp-up
    return DemoPlan(options=options, out_dir=out, serve_plan=serve_plan, load_plan=load_plan)


def run_demo(
    plan: DemoPlan,
    *,
    on_serving: Callable[[ServePlan, RunningServer], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_run_done: Callable[[RunResult], None] | None = None,
) -> DemoResult:
    """Serve, load-test and report; the server is stopped before this returns or raises.

    ``on_run_done`` gets the run's result once the server has stopped, before the report is built.
    """
    from surge.engine.runner import run_plan
    from surge.monitor.record import MetricsRecorder, metrics_path
    from surge.monitor.sampler import TreeSampler
    from surge.report.build import build_report
    from surge.report.options import ReportOptions

    options = plan.options
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    results = plan.out_dir / "results.jtl"
    server = start_server(plan.serve_plan, background=True)
    # The server's CPU and memory beside the results, as surge run --monitor records them: the
    # report's Server page.
    recorder = MetricsRecorder(metrics_path(results), TreeSampler(pid=server.master_pid, connections=True))

    def progress(p: Progress) -> None:
        recorder.record(p.elapsed_s, p.generator_cpu_percent)
        if on_progress is not None:
            on_progress(p)

    try:
        if on_serving is not None:
            on_serving(plan.serve_plan, server)
        results.unlink(missing_ok=True)
        run = run_plan(plan.load_plan, results, on_progress=progress)
    finally:
        recorder.close()
        server.stop()
    if on_run_done is not None:
        on_run_done(run)
    title = f"surge demo: {DEMO_APP} under gunicorn ({options.mode}), {options.users} users"
    report = build_report([results], plan.out_dir / "report", ReportOptions(title=title), force=True)
    return DemoResult(serve_plan=plan.serve_plan, run=run, report=report)
