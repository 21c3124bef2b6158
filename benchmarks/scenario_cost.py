"""Benchmark: CPU per request of surge's scenario paths (plan file, JMeter plan, Python user) against Locust.

All generators hit one nginx pinned to CPU 0 and run pinned to CPU 1, with the same users and
duration, each checking the status of every response:

- ``surge-url``: plain ``surge run URL`` (the callback hot path; the reference),
- ``surge-plan``: ``surge run -f plan.toml`` with one request asserting ``status = 200``,
- ``surge-jmx``: ``surge run -f plan.jmx``, the same plan as JMeter saves it: a Thread Group, an
  HTTP Request, a Response Assertion on the code (200) and an HTTP Cookie Manager (plan files
  keep cookies by default: both then carry a cookie jar),
- ``surge-python``: ``surge run -s users.py`` whose user does ``r = await session.get(...)`` and
  ``session.check(r.status == 200, ...)``,
- ``locust``: a FastHttpUser task doing ``self.client.get(...)`` with no wait.

For each: req/s, CPU µs per request (user+sys of the whole process tree / requests) and, with
``--marginal``, the same with start-up costs cancelled (a second, shorter run: ΔCPU / Δrequests).
Then the ratios: how much cheaper than Locust each surge path is, what a plan file, a JMeter plan
or a Python user costs over a plain run, and a JMeter plan over the same plan file.

    python benchmarks/scenario_cost.py [--duration 10s] [--users 50] [--repeat 1] [--marginal] [--skip-locust]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # benchmarks are scripts, not a package: import the siblings by path
    machine_note,
    median,
    run_measured,
    running_nginx,
    summarize_jtl,
    surge_command,
    taskset_prefix,
)
from engine_vs_peers import parse_duration_s, positive_int, run_locust

VARIANTS = ("surge-url", "surge-plan", "surge-jmx", "surge-python", "locust")
SCENARIOS = ("surge-plan", "surge-jmx", "surge-python")
SURGE_OK_EXITS = (0, 3, 4)  # 4: the generator used its whole core, which a closed loop at full speed does

PLAN = textwrap.dedent(
    """\
    # Written by surge's scenario_cost benchmark.
    [requests.get]
    url = "{url}"
    assert = {{ status = 200 }}

    [[groups]]
    name = "bench"
    users = {users}
    duration = "{duration}"
    """
)

JMX_PLAN = textwrap.dedent(
    """\
    <?xml version="1.0" encoding="UTF-8"?>
    <!-- Written by surge's scenario_cost benchmark: the plan file's twin, as JMeter 5.6 saves it. -->
    <jmeterTestPlan version="1.2" properties="5.0" jmeter="5.6.3">
      <hashTree>
        <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="bench"/>
        <hashTree>
          <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="bench">
            <intProp name="ThreadGroup.num_threads">{users}</intProp>
            <intProp name="ThreadGroup.ramp_time">0</intProp>
            <boolProp name="ThreadGroup.scheduler">true</boolProp>
            <longProp name="ThreadGroup.duration">{duration}</longProp>
            <elementProp name="ThreadGroup.main_controller" elementType="LoopController"
                guiclass="LoopControlPanel" testclass="LoopController" testname="Loop Controller">
              <intProp name="LoopController.loops">-1</intProp>
            </elementProp>
          </ThreadGroup>
          <hashTree>
            <CookieManager guiclass="CookiePanel" testclass="CookieManager" testname="HTTP Cookie Manager"/>
            <hashTree/>
            <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy"
                testname="GET /index.html">
              <stringProp name="HTTPSampler.path">{url}</stringProp>
              <stringProp name="HTTPSampler.method">GET</stringProp>
              <boolProp name="HTTPSampler.follow_redirects">true</boolProp>
              <boolProp name="HTTPSampler.use_keepalive">true</boolProp>
            </HTTPSamplerProxy>
            <hashTree>
              <ResponseAssertion guiclass="AssertionGui" testclass="ResponseAssertion" testname="200">
                <collectionProp name="Asserion.test_strings">
                  <stringProp name="49586">200</stringProp>
                </collectionProp>
                <stringProp name="Assertion.test_field">Assertion.response_code</stringProp>
                <intProp name="Assertion.test_type">8</intProp>
              </ResponseAssertion>
              <hashTree/>
            </hashTree>
          </hashTree>
        </hashTree>
      </hashTree>
    </jmeterTestPlan>
    """
)

PYTHON_USER = textwrap.dedent(
    """\
    # Written by surge's scenario_cost benchmark.
    URL = "{url}"


    async def user(session):
        r = await session.get(URL)
        session.check(r.status == 200, "status is not 200")
    """
)


@dataclass
class Measurement:
    variant: str
    requests: int
    errors: int
    rate_per_s: float
    cpu_s: float
    wall_s: float

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s * 1e6 / self.requests if self.requests else math.nan


def _seconds(duration_s: float) -> str:
    return f"{duration_s:g}s"


def run_surge_variant(
    variant: str, url: str, args: argparse.Namespace, workdir: Path, duration_s: float
) -> Measurement:
    jtl = workdir / f"{variant}.jtl"
    jtl.unlink(missing_ok=True)
    base = [*taskset_prefix(args.client_cpu), *surge_command(), "run", "-p", "1", "-q", "-o", str(jtl)]
    if variant == "surge-url":
        cmd = [*base, url, "-u", str(args.users), "-d", _seconds(duration_s)]
    elif variant == "surge-plan":
        plan = workdir / "plan.toml"
        plan.write_text(PLAN.format(url=url, users=args.users, duration=_seconds(duration_s)))
        cmd = [*base, "-f", str(plan)]
    elif variant == "surge-jmx":
        plan = workdir / "plan.jmx"
        plan.write_text(JMX_PLAN.format(url=url, users=args.users, duration=math.ceil(duration_s)))
        cmd = [*base, "-f", str(plan)]
    else:
        script = workdir / "users.py"
        script.write_text(PYTHON_USER.format(url=url))
        cmd = [*base, "-s", str(script), "-u", str(args.users), "-d", _seconds(duration_s)]
    usage = run_measured(
        cmd,
        stdout_path=workdir / f"{variant}.out",
        stderr_path=workdir / f"{variant}.err",
        timeout_s=duration_s + 60,
    )
    if usage.returncode not in SURGE_OK_EXITS or not jtl.exists():
        error = (workdir / f"{variant}.err").read_text(errors="replace")[-600:]
        raise RuntimeError(f"{variant} exited {usage.returncode}: {error}")
    summary = summarize_jtl(jtl)
    return Measurement(variant, summary.rows, summary.failures, summary.rate_per_s, usage.cpu_s, usage.wall_s)


def run_variant(
    variant: str, url: str, args: argparse.Namespace, workdir: Path, duration_s: float
) -> Measurement:
    if variant == "locust":
        result = run_locust(url, args, workdir, duration_s)
        return Measurement(
            "locust", result.requests, result.errors, result.rate_per_s, result.cpu_s, result.wall_s
        )
    return run_surge_variant(variant, url, args, workdir, duration_s)


def marginal_us(full: Measurement, short: Measurement) -> float:
    """CPU per request with fixed costs cancelled: ΔCPU / Δrequests of a long and a short run."""
    delta = full.requests - short.requests
    return (full.cpu_s - short.cpu_s) * 1e6 / delta if delta > 0 else math.nan


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scenario_cost",
        description="CPU per request: surge URL run, plan file, JMeter plan and Python user vs Locust "
        "FastHttpUser.",
    )
    parser.add_argument("--duration", type=parse_duration_s, default=10.0, help="per run (default 10s)")
    parser.add_argument("--users", type=positive_int, default=50, help="users (default 50)")
    parser.add_argument("--repeat", type=positive_int, default=1, help="runs per variant; medians reported")
    parser.add_argument("--skip-locust", action="store_true", help="measure only surge's variants")
    parser.add_argument(
        "--marginal", action="store_true", help="also a 40%% run: CPU/request without start-up"
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU nginx is pinned to (default 0)")
    parser.add_argument(
        "--client-cpu", type=int, default=1, help="CPU the generators are pinned to (default 1)"
    )
    parser.add_argument("--body-bytes", type=positive_int, default=100, help="size of the static file")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON here")
    return parser


def format_table(rows: Sequence[dict[str, float | str]]) -> str:
    header = f"{'variant':<14} {'requests':>9} {'errors':>7} {'req/s':>9} {'CPU µs/req':>11} {'marginal':>9}"
    lines = [header]
    for row in rows:
        lines.append(
            f"{row['variant']:<14} {row['requests']:>9.0f} {row['errors']:>7.0f} {row['rate_per_s']:>9.0f} "
            f"{row['cpu_us_per_request']:>11.1f} {row['marginal_us']:>9.1f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    variants = [v for v in VARIANTS if not (args.skip_locust and v == "locust")]
    # run_locust reads these attributes of engine_vs_peers' arguments.
    args.surge_quiet = True
    print(f"machine: {machine_note()}")
    print(f"{args.users} users, {args.duration:g} s per run, nginx on CPU {args.server_cpu}, "
          f"generators on CPU {args.client_cpu}")  # fmt: skip
    rows: list[dict[str, float | str]] = []
    with tempfile.TemporaryDirectory(prefix="surge-scenario-cost-") as tmp_name:
        tmp = Path(tmp_name)
        with running_nginx(tmp / "nginx", cpu=args.server_cpu, body_bytes=args.body_bytes) as nginx:
            # Interleaved, and in another order each round (url, plan, jmx, python; plan, jmx,
            # python, url; ...): a shared machine's drift then weighs on every variant alike.
            runs: dict[str, list[Measurement]] = {v: [] for v in variants}
            marginals: dict[str, list[float]] = {v: [] for v in variants}
            for variant in variants:
                (tmp / variant).mkdir()
            for round_index in range(args.repeat):
                shift = round_index % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    full = run_variant(variant, nginx.url, args, tmp / variant, args.duration)
                    runs[variant].append(full)
                    print(f"  {variant}: {full.rate_per_s:.0f} req/s, {full.cpu_us_per_request:.1f} µs/req")
                    if args.marginal:
                        short_s = max(4.0, args.duration * 0.4)
                        short = run_variant(variant, nginx.url, args, tmp / variant, short_s)
                        marginals[variant].append(marginal_us(full, short))
            for variant in variants:
                done = runs[variant]
                rows.append(
                    {
                        "variant": variant,
                        "requests": median([r.requests for r in done]),
                        "errors": median([r.errors for r in done]),
                        "rate_per_s": median([r.rate_per_s for r in done]),
                        "cpu_us_per_request": median([r.cpu_us_per_request for r in done]),
                        "marginal_us": median(marginals[variant]) if marginals[variant] else math.nan,
                        "runs": json.dumps([asdict(r) for r in done]),
                    }
                )
    print()
    print(format_table(rows))
    cost = {str(r["variant"]): float(r["cpu_us_per_request"]) for r in rows}
    print()
    if "locust" in cost:
        for variant in ("surge-url", *SCENARIOS):
            ratio = cost["locust"] / cost[variant]
            print(f"{variant} is {ratio:.1f}x cheaper per request than Locust FastHttpUser")
    for variant in SCENARIOS:
        print(f"{variant} costs {cost[variant] / cost['surge-url']:.2f}x a plain URL run per request")
    print(f"surge-jmx costs {cost['surge-jmx'] / cost['surge-plan']:.2f}x the same plan file per request")
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": machine_note(), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
