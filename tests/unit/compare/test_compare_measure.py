"""A run's rows as compare measures them are the numbers of ``surge report``'s Statistics table."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from surge.compare.diff import row_names
from surge.compare.measure import PERCENTS, TOTAL_KEY, measure_run
from surge.report.load import load_samples
from surge.report.options import ReportOptions
from surge.report.tables import compute_tables, statistics_json

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"


@pytest.mark.parametrize(
    "fixture", sorted(p.name for p in FIXTURES.iterdir() if (p / "results.jtl").exists())
)
def test_rows_equal_the_reports_statistics(fixture: str) -> None:
    con = duckdb.connect()
    load_samples(con, [FIXTURES / fixture / "results.jtl"], ReportOptions())
    run = measure_run(con, "samples")
    statistics = statistics_json(compute_tables(con, ReportOptions()))
    names = row_names(set(run.rows))
    assert {names[k] for k in run.rows} == {k for k, v in statistics.items() if v["sampleCount"]}
    for key, row in run.rows.items():
        expected = statistics[names[key]]
        got = (row.count, row.errors, row.mean_ms, row.max_ms, row.rate_per_s, *row.percentiles_ms)
        want = (
            expected["sampleCount"],
            expected["errorCount"],
            expected["meanResTime"],
            expected["maxResTime"],
            expected["throughput"],
            expected["medianResTime"],
            expected["pct1ResTime"],
            expected["pct2ResTime"],
            expected["pct3ResTime"],
        )
        for a, b in zip(got, want, strict=True):
            assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9), (
                names[key],
                got,
                want,
            )
    assert TOTAL_KEY in run.rows and len(PERCENTS) == 4
