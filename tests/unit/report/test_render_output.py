"""render_report and build's folder rule, from JMeter's own dashboard data (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from surge.errors import UsageError
from surge.report.build import check_out_dir, statistics_text
from surge.report.info import bad_rows_text, format_span_ms
from surge.report.load import LoadResult
from surge.report.render import InfoRow, ReportContent, plotly_js_path, render_report

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"
PAGES = ("index.html", "content/pages/OverTime.html", "content/pages/Throughput.html",
         "content/pages/ResponseTimes.html")  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fixture = FIXTURES / "banpreet-jpetstore-utg"
    out = tmp_path_factory.mktemp("render")
    content = ReportContent(
        title="<b>Run</b> & co",
        tables=json.loads((fixture / "dashboard.json").read_text(encoding="utf-8")),
        graphs=json.loads((fixture / "graphs.json").read_text(encoding="utf-8")),
        info=[InfoRow("Source file", "<img src=x onerror=alert(1)>.jtl")],
        timezone="America/New_York",
        notes=["Bad rows skipped: <script>1</script>"],
    )
    render_report(out, content)
    return out


def test_writes_every_page_and_asset(rendered: Path) -> None:
    for page in PAGES:
        assert (rendered / page).is_file(), page
    for asset in ("content/js/surge-common.js", "content/js/surge-dashboard.js", "content/js/surge-charts.js",
                  "content/css/surge.css"):  # fmt: skip
        assert (rendered / asset).is_file(), asset
    assert (rendered / "content/js/plotly.min.js").read_bytes() == plotly_js_path().read_bytes()


def test_pages_escape_text_and_only_load_local_files(rendered: Path) -> None:
    for page in PAGES:
        html = (rendered / page).read_text(encoding="utf-8")
        assert "Content-Security-Policy" in html
        assert "&lt;b&gt;Run&lt;/b&gt; &amp; co" in html
        assert "<b>Run</b>" not in html
        assert html.count('<script type="application/json" id="surge-data">') == 1
        markup = html.split('id="surge-data">', 1)[0]  # the data itself may quote URLs
        assert "https://" not in markup and "http://" not in markup
    index = (rendered / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;.jtl" in index
    assert "&lt;script&gt;1&lt;/script&gt;" in index


def test_chart_pages_carry_only_their_own_charts(rendered: Path) -> None:
    sizes = {}
    for page, count in (("OverTime", 6), ("Throughput", 6), ("ResponseTimes", 4)):
        html = (rendered / f"content/pages/{page}.html").read_text(encoding="utf-8")
        data = json.loads(html.split('id="surge-data">', 1)[1].split("</script>", 1)[0])
        assert len(data["charts"]) == count
        assert data["timezone"] == "America/New_York"
        assert html.count('class="chart"') == count
        sizes[page] = len(html)
    assert (
        "charts" not in (rendered / "index.html").read_text(encoding="utf-8").split('id="surge-data">', 1)[1]
    )


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new", force=False)
    check_out_dir(tmp_path, force=False)  # exists but empty
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match=r"not empty.*--force"):
        check_out_dir(tmp_path, force=False)
    check_out_dir(tmp_path, force=True)
    with pytest.raises(UsageError, match="not a folder"):
        check_out_dir(tmp_path / "old.txt", force=True)


def test_human_formats() -> None:
    assert format_span_ms(850) == "850 ms"
    assert format_span_ms(59_000) == "59 s"
    assert format_span_ms(3_725_000) == "1 h 02 min 05 s"
    assert format_span_ms(90_061_000) == "1 d 01 h 01 min 01 s"
    one_file = LoadResult(
        rows_loaded=5, bad_rows=3, sources=("a.jtl",), bad_row_locations=(("a.jtl", 4), ("a.jtl", 9))
    )
    assert bad_rows_text(one_file) == "3 (lines 4, 9, …)"
    two_files = LoadResult(
        rows_loaded=5, bad_rows=2, sources=("/x/a.jtl", "/x/b.jtl"),
        bad_row_locations=(("/x/a.jtl", 4), ("/x/b.jtl", 2)),
    )  # fmt: skip
    assert bad_rows_text(two_files) == "2 (lines a.jtl:4, b.jtl:2)"
    assert bad_rows_text(LoadResult(rows_loaded=5, bad_rows=0, sources=())) == "0"


def test_statistics_text_is_the_indented_json_text() -> None:
    fixture = json.loads((FIXTURES / "webtours-tc" / "statistics.json").read_text(encoding="utf-8"))
    odd = {
        'a "quoted" \\ label\n€ \u2028': {
            "transaction": "x",
            "errorPct": "NaN",
            "n": None,
            "f": 1.5,
            "ok": True,
        },
        'ends with ", ': {"transaction": 'ends with ", ', "sampleCount": 1},
        "ends with \\": {"transaction": "},\n    {", "sampleCount": 2},
        "Total": {"transaction": "Total", "sampleCount": 3},
    }
    for data in (fixture, odd, {}):
        assert statistics_text(data) == json.dumps(data, indent=2, ensure_ascii=False)


def test_dashboard_tables_are_one_data_script_loaded_by_index(rendered: Path) -> None:
    index = (rendered / "index.html").read_text(encoding="utf-8")
    assert '<script src="content/js/dashboard-data.js"></script>' in index
    inline = json.loads(index.split('id="surge-data">', 1)[1].split("</script>", 1)[0])
    assert inline == {"timezone": "America/New_York"}  # the rows are not in the page
    script = (rendered / "content/js/dashboard-data.js").read_text(encoding="utf-8")
    literal = script.removeprefix("window.SurgeDashboardData = JSON.parse(").removesuffix(");\n")
    tables = json.loads(json.loads(literal))["tables"]
    assert len(tables["statisticsTable"]["rows"]) == 10  # the fixture's labels
    assert tables["statisticsTable"]["overall"][0] == "Total"


def test_every_sidebar_link_of_a_page_has_a_target(tmp_path: Path) -> None:
    # JMeter's graphs have no queue time (a closed-model run): no page may link to that chart.
    fixture = FIXTURES / "banpreet-jpetstore-utg"
    content = ReportContent(
        title="t",
        tables=json.loads((fixture / "dashboard.json").read_text(encoding="utf-8")),
        graphs=json.loads((fixture / "graphs.json").read_text(encoding="utf-8")),
        info=[],
    )
    render_report(tmp_path, content)
    for page in PAGES:
        html = (tmp_path / page).read_text(encoding="utf-8")
        ids = set(re.findall(r' id="([^"]+)"', html))
        for href in re.findall(r'<a [^>]*href="([^"]+)"', html):
            path, _, fragment = href.partition("#")
            target = (tmp_path / page).parent / path if path else tmp_path / page
            assert target.resolve().is_file(), (page, href)
            if fragment:
                target_ids = ids if not path else set(re.findall(r' id="([^"]+)"', target.read_text("utf-8")))
                assert fragment in target_ids, (page, href)
