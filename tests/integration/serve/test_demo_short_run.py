"""``surge demo`` with a short run: the ramp-up follows the duration, options are checked before anything
starts, and the summary table comes before "building the report"."""

from __future__ import annotations

import pytest
from serve_harness import Harness

pytestmark = pytest.mark.timeout(120)


def test_two_second_demo_fits_its_ramp_up(harness: Harness) -> None:
    out = harness.folder / "demo"
    result = harness.surge("demo", "-d", "2s", "-u", "2", "-w", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    # No --ramp-up: a third of the 2 s run, not the 10 s default that used to be refused.
    assert "surge demo: 2 users ramping up over 667ms, for 2s" in result.stdout
    assert (out / "report" / "index.html").exists()


def test_the_summary_comes_before_building_the_report(harness: Harness) -> None:
    result = harness.surge("demo", "-d", "2s", "--ramp-up", "1s", "-u", "2", "-w", "1", "-o", "demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def index(start: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(start))

    assert index("Run finished in") < index("TOTAL") < index("Results:"), result.stdout
    assert index("Results:") < index("surge demo: server stopped; building the report") < index("Report:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "2s", "--ramp-up", "5s"], "ramp-up (5s) is longer than the duration (2s)"),
        (["-d", "0s"], "duration must be positive"),
        (["-d", "soon"], "invalid duration 'soon'"),
        (["-o", "a-file"], "is a file; give a folder"),
    ],
)
def test_bad_options_are_refused_before_anything_starts(
    harness: Harness, args: list[str], message: str
) -> None:
    (harness.folder / "a-file").write_text("mine\n")
    out = ["-o", "demo"] if "-o" not in args else []
    result = harness.surge("demo", *args, *out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "serving" not in result.stdout  # no server was started, so none was stopped
    assert not (harness.folder / "demo").exists()
    assert (harness.folder / "a-file").read_text() == "mine\n"
