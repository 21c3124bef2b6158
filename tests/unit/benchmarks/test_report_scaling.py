"""benchmarks/report_scaling.py: its size parser and its synthetic JTL generator (nothing is timed)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from types import ModuleType

import pytest

from benchmark_modules import load_benchmark
from surge.results.columns import CONTROLLER_MESSAGE_PREFIX, DEFAULT_COLUMNS


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("report_scaling")


def test_parse_rows(bench: ModuleType) -> None:
    assert bench.parse_rows("1M") == 1_000_000
    assert bench.parse_rows("10m") == 10_000_000
    assert bench.parse_rows("200k") == 200_000
    assert bench.parse_rows("1_000") == 1_000
    with pytest.raises(argparse.ArgumentTypeError):
        bench.parse_rows("5")


def test_generated_file_is_realistic_jmeter_csv(bench: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "x.jtl"
    bench.generate_jtl(path, 20_000, hours=3.0)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(DEFAULT_COLUMNS)
    assert all(None not in r and len(r) == len(DEFAULT_COLUMNS) for r in rows)  # no stray delimiter
    assert len(rows) == 20_000
    labels = {r["label"] for r in rows}
    assert len(labels) == 20
    assert "https://shop.example.test/search?q=red,shoes" in {r["URL"] for r in rows}
    assert 'PUT /cart/items/{id} "qty"' in labels and "GET /search?q=red,shoes" in labels  # quoted fields
    controllers = [r for r in rows if r["responseMessage"].startswith(CONTROLLER_MESSAGE_PREFIX)]
    assert len(controllers) == 4_000
    requests = [r for r in rows if not r["responseMessage"].startswith(CONTROLLER_MESSAGE_PREFIX)]
    error_share = sum(r["success"] == "false" for r in requests) / len(requests)
    assert 0.005 < error_share < 0.02
    span_h = (max(int(r["timeStamp"]) for r in rows) - min(int(r["timeStamp"]) for r in rows)) / 3_600_000
    assert 2.9 < span_h < 3.1
    assert {r["threadName"].rsplit(" ", 1)[0] for r in rows} == {"Shoppers", "Browsers"}


def test_parse_case_and_bytes(bench: ModuleType) -> None:
    assert bench.parse_case("1Mx100k") == (1_000_000, 100_000)
    assert bench.parse_case("10mx20") == (10_000_000, 20)
    assert bench.parse_bytes("6G") == 6_000_000_000
    assert bench.parse_bytes("500M") == 500_000_000
    for bad in ("1M", "1Mx5"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.parse_case(bad)


def test_many_labels_one_per_url_id(bench: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "many.jtl"
    bench.generate_jtl(path, 20_000, hours=1.0, labels=500)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20_000
    assert all(None not in r and len(r) == len(DEFAULT_COLUMNS) for r in rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    assert len(counts) == 500  # every id appears
    assert "GET /product/0" in counts and "01 Login" in counts
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[5] > 10 * ranked[-1]  # hot ids: the top labels matter
