"""The benchmark scripts import, parse their arguments and parse the generators' outputs (nothing is run)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

from benchmark_modules import load_benchmark


@pytest.fixture(scope="module")
def peers() -> ModuleType:
    return load_benchmark("engine_vs_peers")


@pytest.fixture(scope="module")
def common() -> ModuleType:
    load_benchmark("engine_vs_peers")  # puts benchmarks/ on sys.path for its sibling import
    return sys.modules["_common"]


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40381/index.html
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.73ms  532.66us   9.07ms   92.99%
    Req/Sec    29.30k     1.11k   31.57k    80.00%
  Latency Distribution
     50%  850.00us
     75%    1.80ms
     90%    1.90ms
     99%    4.48ms
  58432 requests in 2.01s, 17.16MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  29078.04
Transfer/sec:      8.54MB
"""

LOCUST_STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,\
Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,/index.html,4996,3,13,13.59,0.85,64.2,100.0,2495.86,0.0,13,15,16,16,18,20,23,26,62,64,64
,Aggregated,4996,3,13,13.59,0.85,64.2,100.0,2495.86,0.0,13,15,16,16,18,20,23,26,62,64,64
"""


def test_wrk_output_is_parsed(common: ModuleType) -> None:
    wrk = common.parse_wrk_output(WRK_OUTPUT)
    assert wrk.requests == 58432
    assert wrk.duration_s == pytest.approx(2.01)
    assert wrk.rate_per_s == pytest.approx(29078.04)
    assert wrk.percentiles_us == {50.0: 850.0, 75.0: 1800.0, 90.0: 1900.0, 99.0: 4480.0}
    assert wrk.errors == 2 + 1 + 5


def test_wrk_output_without_requests_is_an_error(common: ModuleType) -> None:
    with pytest.raises(ValueError):
        common.parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_locust_aggregated_row_is_read_in_microseconds(common: ModuleType) -> None:
    loc = common.parse_locust_stats_csv(LOCUST_STATS)
    assert (loc.requests, loc.failures) == (4996, 3)
    assert loc.p50_us == 13_000.0
    assert loc.p99_us == 26_000.0
    assert loc.rate_per_s == pytest.approx(2495.86)


def test_percentile_interpolates_like_numpy(common: ModuleType) -> None:
    assert common.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert common.percentile([5], 0.99) == 5
    assert math.isnan(common.percentile([], 0.5))
    assert common.median([3.0, math.nan, 1.0, 2.0]) == 2.0


def test_jtl_summary_counts_client_errors_and_users(common: ModuleType, tmp_path: Path) -> None:
    jtl = tmp_path / "r.jtl"
    header = (
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
        "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    )
    rows = [
        "1000,5,GET /,200,OK,surge 1-1,text,true,,100,50,2,2,http://x/,4,0,1\n",
        "1003,7,GET /,500,Server Error,surge 1-2,text,false,,100,50,2,2,http://x/,6,0,0\n",
        '1010,0,GET /,"Non HTTP response code: ConnectionRefusedError","Non HTTP response message: x",'
        "surge 1-1,text,false,,0,0,2,2,http://x/,0,0,0\n",
    ]
    jtl.write_text(header + "".join(rows))
    summary = common.summarize_jtl(jtl)
    assert (summary.rows, summary.failures, summary.non_http, summary.non_2xx) == (3, 2, 1, 1)
    assert summary.threads == 2
    assert summary.max_all_threads == 2
    assert summary.elapsed_sorted_ms == [0, 5, 7]
    assert summary.window_s == pytest.approx(0.010)


def test_arguments_have_the_briefs_defaults(peers: ModuleType) -> None:
    args = peers.build_parser().parse_args([])
    assert (args.duration, args.users, args.repeat, args.skip_locust) == (10.0, 50, 1, False)
    args = peers.build_parser().parse_args(["--duration", "2m", "--repeat", "3", "--skip-locust"])
    assert (args.duration, args.repeat) == (120.0, 3)
    assert peers.selected_tools(args) == ["wrk", "surge"]


@pytest.mark.parametrize("text", ["0s", "-1s", "ten", "5h"])
def test_bad_durations_are_refused(peers: ModuleType, text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        peers.parse_duration_s(text)


def test_targets_pass_and_miss(peers: ModuleType) -> None:
    ok = peers.judge({"wrk": 10.0, "surge": 19.0, "locust": 160.0}, {"wrk": 1000.0, "surge": 1140.0})
    assert [line.split()[0] for line in ok.lines] == ["PASS", "PASS", "PASS"]
    miss = peers.judge({"wrk": 10.0, "surge": 21.0, "locust": 160.0}, {"wrk": 1000.0, "surge": 1200.0})
    assert [line.split()[0] for line in miss.lines] == ["MISS", "MISS", "MISS"]
    # 50 µs absolute slack when latencies are tiny.
    small = peers.judge({"wrk": 10.0, "surge": 10.0}, {"wrk": 100.0, "surge": 145.0})
    assert small.lines[2].split()[0] == "PASS"
    assert small.lines[1].split()[0] == "n/a"


def test_marginal_cpu_cancels_fixed_costs(peers: ModuleType) -> None:
    def result(requests: int, cpu_s: float) -> object:
        return peers.ToolResult("surge", requests, 0, 0.0, cpu_s, "wait4", 0.0, 0.0, 0.0, "", 1)

    # 0.5 s start-up plus 10 µs per request.
    full, short = result(100_000, 0.5 + 1.0), result(30_000, 0.5 + 0.3)
    assert peers.marginal_cpu_us(full, short) == pytest.approx(10.0)
    assert full.cpu_us_per_request == pytest.approx(15.0)


def test_py_spy_stacks_fold_into_self_and_inclusive_time() -> None:
    load_benchmark("engine_vs_peers")
    prof = load_benchmark("profile_surge")
    raw = [
        "run (/x/site-packages/surge/engine/worker.py:10);send (/x/src/surge/engine/client.py:50) 3\n",
        "run (/x/site-packages/surge/engine/worker.py:12) 1\n",
        "garbage line\n",
    ]
    self_lines, self_funcs, inclusive, total = prof.fold(prof.parse_raw_stacks(raw))
    assert total == 4
    assert self_funcs == {"send (surge/engine/client.py)": 3, "run (surge/engine/worker.py)": 1}
    assert self_lines["send (surge/engine/client.py:50)"] == 3
    assert inclusive["run (surge/engine/worker.py)"] == 4


SURGE_SUMMARY = """\
Run finished in 2s with 1 process(es); times in ms
label            samples  errors  mean   p50    p90    p95     p99     max   req/s  KB/s in  KB/s out
GET /index.html    12991   0.00%  7.76  4.65  10.63  12.70  107.58  181.89  6377.4   2098.8     516.9
TOTAL              12991   0.00%  7.76  4.65  10.63  12.70  107.58  181.89  6377.4   2098.8     516.9
Results: /tmp/r.jtl (12991 samples)
"""


def test_surge_summary_gives_sub_ms_percentiles(peers: ModuleType) -> None:
    assert peers.parse_surge_summary_latency_us(SURGE_SUMMARY) == pytest.approx((4650.0, 107580.0))
    assert peers.parse_surge_summary_latency_us("") is None
    whole_ms = SURGE_SUMMARY.replace("4.65", "5").replace("107.58", "108")
    assert peers.parse_surge_summary_latency_us(whole_ms) is None


def test_slow_samples_are_split_by_new_connection(tmp_path: Path) -> None:
    load_benchmark("engine_vs_peers")
    c10k = load_benchmark("connections_10k")
    jtl = tmp_path / "r.jtl"
    jtl.write_text(
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
        "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
        "1000,1500,GET /,200,OK,surge 1-1,text,true,,100,50,2,2,http://x/,1400,0,1200\n"
        "1000,2000,GET /,200,OK,surge 1-2,text,true,,100,50,2,2,http://x/,1990,0,0\n"
        "1000,3,GET /,200,OK,surge 1-2,text,true,,100,50,2,2,http://x/,2,0,1\n"
    )
    assert c10k.slow_samples(jtl, 1000) == {
        "slow": 2,
        "slow_on_new_connection": 1,
        "new_connections": 2,
        "max_connect_ms": 1200,
    }
    args = c10k.build_parser().parse_args([])
    assert (args.users, args.duration, args.ramp_up) == (10_000, 20.0, 5.0)


def test_accept_queue_is_read_from_the_listen_row() -> None:
    c10k = load_benchmark("connections_10k")
    proc_net_tcp = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:0000002A 00:00000000 00000000     0        0 1\n"
        "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2\n"
    )
    assert c10k.listen_queue_length(8080, proc_net_tcp) == 42
    assert c10k.listen_queue_length(8081, proc_net_tcp) is None


def test_hot_path_cost_runs_both_generators_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    hot = load_benchmark("hot_path_cost")
    args = hot.build_parser().parse_args(["--tool", "time", "--requests", "50"])
    assert (args.tool, args.requests, args.rounds) == ("time", 50, 30)
    for generator in hot.GENERATORS:
        hot.run_child(generator, 200, 2)
        label, value = capsys.readouterr().out.split()
        assert label == "ns_per_request" and float(value) > 0


def test_scenario_cost_jmx_plan_is_the_plan_files_twin(tmp_path: Path) -> None:
    from surge.scenario.jmx.resolve import load_jmx
    from surge.scenario.plan_file import load_plan_file

    bench = load_benchmark("scenario_cost")
    url = "http://127.0.0.1:9/index.html"
    toml = tmp_path / "plan.toml"
    toml.write_text(bench.PLAN.format(url=url, users=50, duration="8s"))
    jmx = tmp_path / "plan.jmx"
    jmx.write_text(bench.JMX_PLAN.format(url=url, users=50, duration=8))
    (toml_group,) = load_plan_file(toml).groups
    plan = load_jmx(jmx, {})
    (group,) = plan.groups
    assert not plan.unsupported
    assert (group.users, group.duration_s, group.iterations) == (50, 8.0, None)
    assert (toml_group.load.users, toml_group.load.duration_s) == (50, 8.0)
    (request,) = plan.listings[0]
    assert (request.method, request.url, request.label) == ("GET", url, "GET /index.html")
    assert (request.label, request.url) == (toml_group.requests[0].label, toml_group.requests[0].url)
    assert group.cookies is not None  # both keep a cookie jar
    assert [a.patterns[0].static for a in group.root[0].scoped.assertions] == ["200"]  # type: ignore[union-attr]
