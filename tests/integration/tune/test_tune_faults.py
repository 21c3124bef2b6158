"""surge tune under bad input and faults: an app that does not import, an SLO nobody meets, a
candidate that hangs and one that crashes its server, Ctrl-C and SIGTERM. Every process the tune
starts is gone when it ends (checked by pid)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from tune_harness import TuneHarness


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text, text


def test_app_that_fails_to_import_is_one_line_and_exit_2(tune: TuneHarness) -> None:
    result = tune.run("tune", "tune_broken:app", "--budget", "20s", timeout_s=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "surge tune: error: importing 'tune_broken' failed: RuntimeError: the database is not configured"
        f" ({Path(__file__).parent / 'apps' / 'tune_broken.py'}:3)"
    ]
    assert tune.leftovers() == []
    assert not (tune.folder / "surge-tune").exists()  # nothing was started or written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch_module_xyz:app",), "cannot import 'nosuch_module_xyz'"),
        (("surge.demo:app", "--modes", "sync,turbo"), "unknown mode 'turbo'"),
        (("surge.demo:app", "--path", "io"), "invalid --path 'io'"),
        (("surge.demo:app", "--slo", "p99 under 5"), "invalid threshold"),
        (("surge.demo:app", "--budget", "2s"), "--budget must be at least 10s"),
        (("surge.demo:app", "--path", "/", "-s", "users.py"), "give one of --path, -f and -s"),
        (("surge.demo:app", "--generator-cores", "9"), "--generator-cores"),
        (("surge.demo:app", "--workers", "1,0"), "--workers values must be at least 1"),
        (("surge.demo", "--budget", "20s"), "expected MODULE:APP"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tune: TuneHarness, args: tuple[str, ...], message: str) -> None:
    result = tune.run("tune", *args, timeout_s=120)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    _no_traceback(result.stderr)
    assert tune.leftovers() == []


def test_existing_config_file_is_refused_before_anything_runs(tune: TuneHarness) -> None:
    (tune.folder / "gunicorn.conf.py").write_text("# mine\n")
    result = tune.run("tune", "surge.demo:app", "--write-config", timeout_s=60)
    assert result.returncode == 2
    assert "gunicorn.conf.py exists" in result.stderr and "--force" in result.stderr
    assert (tune.folder / "gunicorn.conf.py").read_text() == "# mine\n"


@pytest.mark.slow
def test_slo_no_candidate_meets_says_so_with_the_closest_figures(tune: TuneHarness) -> None:
    result = tune.run(
        "tune", "surge.demo:app", "--path", "/io?ms=5", "--slo", "p99<1ms", "--modes", "sync",
        "--workers", "1", "--repeats", "1", "--budget", "60s", "--json", "tune.json",
    )  # fmt: skip
    assert result.returncode == 3, (result.stdout, result.stderr)
    _no_traceback(result.stderr)
    out = result.stdout
    assert "No recommendation: no candidate met the SLO (p99<1ms, error_rate<1%) at any load tried." in out
    assert "Closest: sync, 1 worker at " in out and "p99" in out
    document = json.loads((tune.folder / "tune.json").read_text())
    assert document["recommendation"] is None
    assert document["no_recommendation"].startswith("no candidate met the SLO")
    assert [c["status"] for c in document["candidates"]] == ["slo_not_met"]
    assert tune.leftovers() == []


@pytest.mark.slow
def test_candidates_that_hang_or_crash_are_recorded_as_failed_and_the_tune_goes_on(tune: TuneHarness) -> None:
    result = tune.run(
        "tune", "tune_faulty:app", "--modes", "sync,gthread,gevent", "--workers", "1",
        "--threads", "4", "--worker-connections", "1000", "--repeats", "1", "--budget", "30s",
        "--json", "tune.json",
    )  # fmt: skip
    _no_traceback(result.stderr)
    assert result.returncode == 0, (result.stdout, result.stderr)
    document = json.loads((tune.folder / "tune.json").read_text())
    by_key = {c["key"]: c for c in document["candidates"]}
    assert by_key["sync-w1"]["status"] == "failed"
    assert "no request got a response" in by_key["sync-w1"]["reason"]
    assert by_key["gthread-w1-t4"]["status"] == "failed"
    assert by_key["gevent-w1-c1000"]["status"] == "ok"
    assert document["recommendation"]["mode"] == "gevent"
    assert "Recommendation: surge serve tune_faulty:app --mode gevent --workers 1" in result.stdout
    assert "sync-w1: failed:" in result.stdout and "gthread-w1-t4: failed:" in result.stdout
    assert tune.leftovers() == []


def _wait_for_line(stream: object, needle: str, timeout_s: float) -> list[str]:
    """Read lines from ``stream`` until one holds ``needle``; returns the lines read."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"no line with {needle!r} within {timeout_s}s: {seen}")


@pytest.mark.slow
def test_ctrl_c_stops_the_server_and_prints_what_was_measured(tune: TuneHarness) -> None:
    process = tune.start(
        "tune", "surge.demo:app", "--modes", "gevent,sync", "--workers", "1,2",
        "--worker-connections", "1000", "--budget", "5m", "-v",
    )  # fmt: skip
    # The first candidate measured, and the second one under load: then Ctrl-C, as a terminal
    # sends it, to the whole foreground process group (the tune and its load generator).
    _wait_for_line(process.stderr, "  screen ", 120)
    _wait_for_line(process.stderr, " at ", 60)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (stdout, stderr)
    _no_traceback(stderr)
    assert "(interrupted)" in stdout
    first = next(line for line in stdout.splitlines() if line.startswith("1 "))
    assert "gevent" in first and " ok " in first  # the first candidate's figures are printed
    assert "not measured: interrupted" in stdout
    assert (tune.folder / "surge-tune" / "index.html").exists()
    assert tune.leftovers() == []


@pytest.mark.slow
def test_sigterm_during_the_first_trials_stops_everything(tune: TuneHarness) -> None:
    process = tune.start(
        "tune", "surge.demo:app", "--modes", "sync", "--workers", "1", "--budget", "5m", "-v"
    )
    _wait_for_line(process.stderr, " at ", 60)
    process.send_signal(signal.SIGTERM)  # the tune only, as a service manager would
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (stdout, stderr)
    _no_traceback(stderr)
    assert "sync" in stdout and "interrupted" in stdout
    assert tune.leftovers() == []


@pytest.mark.slow
def test_an_app_that_monkey_patches_at_import_never_patches_the_tune(tune: TuneHarness) -> None:
    """The app is imported in the servers (and once in a separate interpreter to check it), never
    in the tune's own process, whose forked load generator would inherit the patched stdlib."""
    result = tune.run(
        "tune", "tune_patching:app", "--modes", "gevent", "--workers", "1", "--worker-connections", "1000",
        "--repeats", "1", "--budget", "15s", "--json", "tune.json", "-v",
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    _no_traceback(result.stderr)
    document = json.loads((tune.folder / "tune.json").read_text())
    assert document["recommendation"]["mode"] == "gevent"
    assert document["recommendation"]["max_rps"] > 0
    assert tune.leftovers() == []
