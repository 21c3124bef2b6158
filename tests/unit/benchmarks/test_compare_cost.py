"""benchmarks/compare_cost.py: its candidate file and its arguments (nothing is timed)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from benchmark_modules import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("compare_cost")


def test_the_candidate_is_another_seed_of_the_same_test_cached_once(
    bench: ModuleType, tmp_path: Path
) -> None:
    first = bench.candidate_jtl(tmp_path, 400, 0.1, 20)
    assert first.name == f"synthetic-400-0.1h-seed8-v{bench.GENERATOR_VERSION}.jtl"
    baseline = bench.cached_jtl(tmp_path, 400, 0.1, 20)
    assert first.read_text().splitlines()[0] == baseline.read_text().splitlines()[0]  # same header
    assert first.read_text() != baseline.read_text()
    stamp = first.stat().st_mtime_ns
    assert bench.candidate_jtl(tmp_path, 400, 0.1, 20).stat().st_mtime_ns == stamp  # reused, not rewritten


def test_repeat_must_be_positive(bench: ModuleType) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--repeat", "0"])
    assert exit_info.value.code == 2
