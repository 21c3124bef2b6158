"""``surge demo --tune``: after the load test, a short tune of the demo app with the same requests,
its page beside the report; a bad budget is refused before anything starts."""

from __future__ import annotations

import pytest
from tune_harness import TuneHarness


def test_bad_tune_budget_is_refused_before_the_demo_starts(tune: TuneHarness) -> None:
    result = tune.run("demo", "-d", "3s", "--tune", "3s", timeout_s=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip() == "surge demo: error: --tune 3s: the tune needs at least 10s"
    assert not (tune.folder / "surge-demo").exists()
    assert tune.leftovers() == []


@pytest.mark.slow
def test_demo_then_a_short_tune(tune: TuneHarness) -> None:
    result = tune.run("demo", "-d", "4s", "-u", "4", "--ramp-up", "1s", "--tune", "20s", timeout_s=180)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "Report: " in out
    tune_part = out[out.index("surge demo --tune: surge.demo:app") :]
    assert "POST /predict" in tune_part.splitlines()[0]
    assert "#  MODE" in tune_part
    assert any(
        line.startswith("Recommendation: surge serve surge.demo:app --mode ")
        for line in tune_part.splitlines()
    )
    assert (tune.folder / "surge-demo" / "tune" / "index.html").exists()
    assert (tune.folder / "surge-demo" / "report" / "index.html").exists()
    assert tune.leftovers() == []
