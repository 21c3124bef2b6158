"""benchmarks/tune_vs_exhaustive.py: its arguments and its comparison of two tunes' JSON (nothing is run)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from benchmark_modules import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("tune_vs_exhaustive")


def _document(rates: dict[str, float], pick: str, measurements: int) -> dict[str, Any]:
    candidates = [{"key": k, "status": "ok", "reference": False, "max_rps": v} for k, v in rates.items()]
    candidates.append({"key": "flask-dev-server", "status": "ok", "reference": True, "max_rps": 99999.0})
    candidates.append({"key": "sync-w3", "status": "failed", "reference": False, "max_rps": None})
    return {
        "candidates": candidates,
        "recommendation": {"key": pick, "max_rps": rates[pick]},
        "search": {"measurements": measurements},
    }


def test_compare_measures_the_smart_pick_by_the_exhaustive_figures(bench: ModuleType) -> None:
    exhaustive = bench.TuneRun(
        "exhaustive",
        600.0,
        0,
        _document({"sync-w1": 400.0, "sync-w2": 410.0, "gevent-w1-c1000": 380.0}, "sync-w1", 20),
    )
    smart = bench.TuneRun(
        "smart", 150.0, 0, _document({"sync-w1": 380.0, "gevent-w1-c1000": 390.0}, "sync-w1", 9)
    )
    c = bench.compare("/cpu", smart, exhaustive)
    assert c.exhaustive_best == "sync-w2" and c.exhaustive_best_rps == 410.0  # the reference row never counts
    assert c.smart_pick == "sync-w1" and c.smart_pick_in_exhaustive_rps == 400.0
    assert c.result_ratio == pytest.approx(400 / 410) and c.result_ok
    assert c.own_ratio == pytest.approx(380 / 410)
    assert c.time_ratio == pytest.approx(0.25) and c.time_ok
    assert "time PASS" in bench.report([c]) and "result PASS" in bench.report([c])


def test_a_tune_without_recommendation_cannot_be_compared(bench: ModuleType) -> None:
    document = _document({"sync-w1": 1.0}, "sync-w1", 1)
    document["recommendation"] = None
    run = bench.TuneRun("smart", 1.0, 3, document)
    with pytest.raises(ValueError, match="without a recommendation"):
        bench.compare("/", run, run)


def test_arguments(bench: ModuleType) -> None:
    args = bench.parse_args(["--paths", "/io,/cpu", "--max-workers", "2", "--threads", "4,16"])
    assert args.path_list == ["/io", "/cpu"]
    assert bench.tune_args(args) == ["--budget", "2h", "--max-workers", "2", "--threads", "4,16"]
    with pytest.raises(SystemExit):
        bench.parse_args(["--paths", "io"])
