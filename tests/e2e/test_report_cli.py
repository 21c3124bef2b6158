"""``surge report`` as a subprocess: outputs, options, refusals and error messages.

Numbers are checked against JMeter's own output in tests/fixtures/jmeter/*/statistics.json.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from surge.results.columns import DEFAULT_COLUMNS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jmeter"
PAGES = ("OverTime.html", "Throughput.html", "ResponseTimes.html")

pytestmark = pytest.mark.timeout(180)


def run_report(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surge", "report", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


def page_data(html_path: Path) -> Any:
    """The JSON block a page inlines (what its JavaScript reads)."""
    html = html_path.read_text(encoding="utf-8")
    block = html.split('<script type="application/json" id="surge-data">', 1)[1].split("</script>", 1)[0]
    return json.loads(block)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr


def close(ours: float, theirs: float) -> bool:
    if isinstance(theirs, str) or isinstance(ours, str):
        return str(ours) == str(theirs)
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def write_jtl(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEFAULT_COLUMNS)
        writer.writerows(rows)


def sample_row(ts_ms: int, elapsed_ms: int, label: str, success: bool = True) -> list[Any]:
    code = "200" if success else "500"
    message = "OK" if success else "Internal Server Error"
    flag = str(success).lower()
    return [ts_ms, elapsed_ms, label, code, message, "Group 1-1", "text", flag, "", 100, 50, 1, 1,
            "http://127.0.0.1/x", elapsed_ms // 2, 0, 1]  # fmt: skip


def test_jmeter_fixture_builds_every_page_and_jmeters_statistics(tmp_path: Path) -> None:
    fixture = FIXTURES / "banpreet-jpetstore-utg"  # transaction controllers and errors
    out = tmp_path / "report"
    proc = run_report(fixture / "results.jtl", "-o", out, "--jmeter-compat")
    assert proc.returncode == 0, proc.stderr
    index = out / "index.html"
    assert str(index.resolve()) in proc.stdout
    for page in PAGES:
        assert (out / "content" / "pages" / page).is_file()
    plotly = out / "content" / "js" / "plotly.min.js"
    assert plotly.stat().st_size > 1_000_000  # the full bundle, copied: no CDN
    for page in (index, *(out / "content" / "pages" / p for p in PAGES)):
        html = page.read_text(encoding="utf-8")
        assert "http://" not in html.split("<body>", 1)[0]  # no remote asset in <head>
        assert 'src="https:' not in html and 'href="https:' not in html

    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    theirs = json.loads((fixture / "statistics.json").read_text(encoding="utf-8"))
    assert set(ours) == set(theirs)
    for label, expected in theirs.items():
        assert list(ours[label]) == list(expected), label  # JMeter's fields, in JMeter's order
        for field, value in expected.items():
            assert close(ours[label][field], value), (label, field, ours[label][field], value)


def test_jmeter_regression_fixture_statistics_equal(tmp_path: Path) -> None:
    fixture = FIXTURES / "apache-jmeter-htmlreport"  # JMeter's own expected statistics.json
    out = tmp_path / "report"
    proc = run_report(fixture / "results.jtl", "-o", out, "--jmeter-compat")
    assert proc.returncode == 0, proc.stderr
    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    theirs = json.loads((fixture / "statistics.json").read_text(encoding="utf-8"))
    assert set(ours) == set(theirs)
    for label, expected in theirs.items():
        for field, value in expected.items():
            assert close(ours[label][field], value), (label, field, ours[label][field], value)


def test_default_mode_counts_match_jmeter_per_label(tmp_path: Path) -> None:
    fixture = FIXTURES / "webtours-tc"
    out = tmp_path / "report"
    proc = run_report(fixture / "results.jtl", "-o", out)
    assert proc.returncode == 0, proc.stderr
    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    theirs = json.loads((fixture / "statistics.json").read_text(encoding="utf-8"))
    assert set(ours) == set(theirs)
    for label, expected in theirs.items():
        if label == "Total":
            continue
        assert ours[label]["sampleCount"] == expected["sampleCount"], label
        assert ours[label]["errorCount"] == expected["errorCount"], label
        assert ours[label]["minResTime"] == expected["minResTime"], label
        assert ours[label]["maxResTime"] == expected["maxResTime"], label
    charts = page_data(out / "content" / "pages" / "OverTime.html")["charts"]
    assert [c["id"] for c in charts] == [
        "responseTimesOverTime",
        "responseTimePercentilesOverTime",
        "activeThreadsOverTime",
        "bytesThroughputOverTime",
        "latenciesOverTime",
        "connectTimeOverTime",
    ]
    assert all(c["series"] for c in charts)


def test_refuses_non_empty_output_unless_forced(tmp_path: Path) -> None:
    results = FIXTURES / "langzy-p2p-gbk" / "results.jtl"
    out = tmp_path / "report"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("mine", encoding="utf-8")
    proc = run_report(results, "-o", out)
    assert_one_line_error(proc, 2)
    assert "not empty" in proc.stderr and "--force" in proc.stderr
    assert not (out / "index.html").exists()
    forced = run_report(results, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "index.html").is_file()
    assert keep.read_text(encoding="utf-8") == "mine"


def test_bad_rows_are_skipped_counted_and_located(tmp_path: Path) -> None:
    results = tmp_path / "results.jtl"
    rows = [sample_row(1_700_000_000_000 + i * 1000, 100 + i, "home") for i in range(5)]
    write_jtl(results, rows)
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "this is not a sample\n")  # becomes physical line 4
    lines.insert(5, "1700000009000,not-a-number,home,200,OK,Group 1-1,text,true,,1,1,1,1,u,1,0,1\n")  # line 6
    results.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "report"
    proc = run_report(results, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 2 bad rows at lines 4, 6" in proc.stderr
    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    assert ours["home"]["sampleCount"] == 5
    info = (out / "index.html").read_text(encoding="utf-8")
    assert "Bad rows skipped" in info and "lines 4, 6" in info


def test_stray_quotes_cost_only_their_lines_and_are_named(tmp_path: Path) -> None:
    # A real 20,011-row JMeter file; an unbalanced quote used to swallow the lines up to the next quote.
    lines = (FIXTURES / "srinivas-jmeterdoc" / "results.jtl").read_text(encoding="utf-8").split("\n")
    for index in (5000, 5001):  # physical lines 5001 and 5002
        ts, elapsed, rest = lines[index].split(",", 2)
        lines[index] = f'{ts},{elapsed},"{rest}'
    results = tmp_path / "results.jtl"
    results.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "report"
    proc = run_report(results, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 2 bad rows at lines 5001–5002" in proc.stderr
    assert "20009 samples" in proc.stdout
    assert "2 (lines 5001–5002)" in (out / "index.html").read_text(encoding="utf-8")


def test_file_without_samples_is_one_line_error(tmp_path: Path) -> None:
    results = tmp_path / "empty.jtl"
    write_jtl(results, [])
    proc = run_report(results, "-o", tmp_path / "report")
    assert_one_line_error(proc, proc.returncode)
    assert proc.returncode != 0
    assert "no readable sample" in proc.stderr


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "is empty"),
        (b"hello\nthis is not a results file\n", "no header line"),
        (bytes(range(256)) * 20, "not text in UTF-8, UTF-16 or UTF-32"),
        ("timeStamp,elapsed,label\n1000,5,caf\u00e9\n".encode("cp1252"), "not valid UTF-8 text"),
    ],
    ids=["empty", "not-results", "binary", "cp1252"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, data: bytes, says: str) -> None:
    results = tmp_path / "results.jtl"
    results.write_bytes(data)
    proc = run_report(results, "-o", tmp_path / "report")
    assert_one_line_error(proc, 2)
    assert says in proc.stderr


def test_small_gzip_cut_short_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    # Used to be a traceback (EOFError from the gzip head read).
    rows = [sample_row(1_700_000_000_000 + i * 1000, 100, "home") for i in range(40)]
    plain = tmp_path / "plain.jtl"
    write_jtl(plain, rows)
    packed = gzip.compress(plain.read_bytes())
    results = tmp_path / "results.jtl.gz"
    results.write_bytes(packed[: len(packed) - 30])
    proc = run_report(results, "-o", tmp_path / "report")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "gzip data ends early" in proc.stderr


def test_utf16_without_bom(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jtl"
    write_jtl(plain, [sample_row(1_700_000_000_000 + i * 1000, 100, "héllo") for i in range(5)])
    results = tmp_path / "results.jtl"
    results.write_bytes(plain.read_text(encoding="utf-8").encode("utf-16-le"))
    out = tmp_path / "report"
    proc = run_report(results, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "statistics.json").read_text(encoding="utf-8"))["héllo"]["sampleCount"] == 5


def test_missing_results_file_is_usage_error(tmp_path: Path) -> None:
    proc = run_report(tmp_path / "nope.jtl", "-o", tmp_path / "report")
    assert_one_line_error(proc, 2)
    assert "nope.jtl" in proc.stderr


@pytest.mark.parametrize(
    "bad",
    [
        ["--percentiles", "90,95"],
        ["--percentiles", "90,95,101"],
        ["--tz", "Mars/Olympus_Mons"],
        ["--apdex-label", "no-thresholds"],
        ["--apdex-label", "home:900|100"],
        ["--apdex-satisfied", "2000"],
        ["--granularity", "fast"],
        ["--start", "yesterday"],
        ["--start", "2024-01-02", "--end", "2024-01-01"],
        ["--include", "("],
    ],
)
def test_bad_options_are_one_line_usage_errors(tmp_path: Path, bad: list[str]) -> None:
    proc = run_report(FIXTURES / "langzy-p2p-gbk" / "results.jtl", "-o", tmp_path / "report", *bad)
    assert_one_line_error(proc, 2)
    assert not (tmp_path / "report").exists()


def test_options_reach_the_report(tmp_path: Path) -> None:
    fixture = FIXTURES / "musicgds-demoblaze"
    out = tmp_path / "report"
    proc = run_report(
        fixture / "results.jtl",
        "-o",
        out,
        "--title",
        "Demoblaze run 7",
        "--include",
        "(?i).*(home|cart).*",
        "--percentiles",
        "50,75,99.9",
        "--apdex-label",
        "(?i).*cart.*:300|1200",
        "--tz",
        "Europe/Paris",
        "--granularity",
        "30s",
    )
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads((fixture / "statistics.json").read_text(encoding="utf-8"))
    kept = {
        label for label in theirs if label != "Total" and ("home" in label.lower() or "cart" in label.lower())
    }
    assert kept and len(kept) < len(theirs) - 1
    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    assert set(ours) == kept | {"Total"}

    # The dashboard's tables are in the data script index.html loads: window.X = JSON.parse("...");
    script = (out / "content" / "js" / "dashboard-data.js").read_text(encoding="utf-8")
    data = json.loads(json.loads(script.split("JSON.parse(", 1)[1].rsplit(");", 1)[0]))["tables"]
    assert data["statisticsTable"]["titles"][8:11] == ["50th pct", "75th pct", "99.9th pct"]
    for row in data["apdexTable"]["rows"]:
        thresholds = (300, 1200) if "cart" in row[3].lower() else (500, 1500)
        assert tuple(row[1:3]) == thresholds, row

    # Start Time shown in the chosen zone: first timeStamp of the file (JMeter's start semantics).
    with (fixture / "results.jtl").open(encoding="utf-8", newline="") as handle:
        first_ms = min(int(row["timeStamp"]) for row in csv.DictReader(handle))
    local = datetime.fromtimestamp(first_ms / 1000, tz=UTC).astimezone(ZoneInfo("Europe/Paris"))
    html = (out / "index.html").read_text(encoding="utf-8")
    assert local.strftime("%Y-%m-%d %H:%M:%S %Z") in html
    assert "Demoblaze run 7" in html and "(?i).*(home|cart).*" in html

    charts = page_data(out / "content" / "pages" / "OverTime.html")
    assert charts["timezone"] == "Europe/Paris"
    assert charts["charts"][0]["granularityMs"] == 30_000


def test_several_files_make_one_report(tmp_path: Path) -> None:
    first = tmp_path / "part1.jtl"
    second = tmp_path / "part2.jtl"
    write_jtl(first, [sample_row(1_700_000_000_000 + i * 500, 100, "a") for i in range(10)])
    write_jtl(
        second, [sample_row(1_700_000_010_000 + i * 500, 300, "a", success=i % 2 == 0) for i in range(6)]
    )
    out = tmp_path / "report"
    proc = run_report(first, second, "-o", out)
    assert proc.returncode == 0, proc.stderr
    ours = json.loads((out / "statistics.json").read_text(encoding="utf-8"))
    assert ours["a"]["sampleCount"] == 16
    assert ours["a"]["errorCount"] == 3
    assert ours["a"]["meanResTime"] == pytest.approx((10 * 100 + 6 * 300) / 16)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "part1.jtl, part2.jtl" in html


def test_unwritable_output_is_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    proc = run_report(FIXTURES / "langzy-p2p-gbk" / "results.jtl", "-o", blocker / "report")
    assert_one_line_error(proc, 1)
    assert "cannot write the report" in proc.stderr
