"""The report in headless Chromium: untrusted text never runs as script, every chart draws offline.

Builds reports with the real CLI (``python -m surge report``), then opens every page from file://
with Playwright driving the Debian ``chromium`` binary.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chromium import NEEDS_CHROMIUM
from surge.results.columns import DEFAULT_COLUMNS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jmeter"
PAGES = (
    "index.html",
    "content/pages/OverTime.html",
    "content/pages/Throughput.html",
    "content/pages/ResponseTimes.html",
)
CHARTS_PER_PAGE = {
    "content/pages/OverTime.html": 6,
    "content/pages/Throughput.html": 6,
    "content/pages/ResponseTimes.html": 4,
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),
    NEEDS_CHROMIUM,
]

HEADER = list(DEFAULT_COLUMNS)

# Each payload would leave a trace if it ran: window.__pwned set, or the document title changed.
LABEL_PAYLOADS = (
    "<script>window.__pwned='label-script'</script>",
    "<img src=x onerror=\"window.__pwned='label-img'\">",
    '"><svg onload="window.__pwned=\'label-svg\'">',
    "</script><script>window.__pwned='label-close'</script>",
    "<b>bold?</b> &amp; %{x} {{7*7}} <!-- ]]>",
)
MESSAGE_PAYLOAD = "<img src=x onerror=\"document.title='pwned-message'\">"
FAILURE_PAYLOAD = "<script>document.title='pwned-failure'</script>"
CODE_PAYLOAD = "<i onmouseover=\"window.__pwned='code'\">500</i>"
URL_PAYLOAD = "javascript:window.__pwned='url'//\"><script>window.__pwned='url2'</script>"
THREAD_PAYLOAD = "<svg/onload=window.__pwned='thread'> 1-1"
TITLE_PAYLOAD = "<script>window.__pwned='title'</script>Report"


def _run_report(results: list[Path], out_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surge", "report", *map(str, results), "-o", str(out_dir), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _write_hostile_results(path: Path) -> None:
    start_ms = 1_700_000_000_000
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)  # JMeter quoting: delimiters, quotes and newlines are quoted
        writer.writerow(HEADER)
        for i in range(200):
            label = LABEL_PAYLOADS[i % len(LABEL_PAYLOADS)]
            failed = i % 7 == 0
            assertion_failed = failed and i % 3 == 0  # code 200 + failure message: keyed by the message
            code = "200" if not failed or assertion_failed else (CODE_PAYLOAD if i % 2 == 0 else "503")
            writer.writerow(
                [
                    start_ms + i * 900,
                    50 + (i * 37) % 900,
                    label,
                    code,
                    MESSAGE_PAYLOAD if failed else "OK",
                    THREAD_PAYLOAD if i % 2 else "Group 1-1",
                    "text",
                    "false" if failed else "true",
                    FAILURE_PAYLOAD if assertion_failed else "",
                    1000 + i,
                    200,
                    2,
                    2,
                    URL_PAYLOAD,
                    20 + i % 30,
                    0,
                    5,
                ]
            )


class PageWatch:
    """Console errors, page errors, dialogs and non-file requests seen by one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.outside_requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", self._request)
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file://", "data:")):
            self.outside_requests.append(request.url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _open(page: Any, report: Path, name: str) -> None:
    page.goto((report / name).resolve().as_uri())
    page.wait_for_load_state("load")
    expected = CHARTS_PER_PAGE.get(name, 1)  # the dashboard draws its pie chart
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=expected,
        timeout=30_000,
    )


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    results = base / "hostile.jtl"
    _write_hostile_results(results)
    out = base / "report"
    proc = _run_report([results], out, "--title", TITLE_PAYLOAD)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", PAGES)
def test_untrusted_text_never_runs_and_shows_literally(browser: Any, hostile_report: Path, name: str) -> None:
    page = browser.new_page()
    watch = PageWatch(page)
    try:
        _open(page, hostile_report, name)
        page.mouse.move(400, 300)  # would fire an injected onmouseover
        state = page.evaluate(
            """() => ({
                pwned: window.__pwned === undefined ? null : String(window.__pwned),
                title: document.title,
                injected: document.querySelectorAll('img[src="x"], svg[onload], i[onmouseover], '
                    + 'script:not([src]):not([type="application/json"])').length,
                text: document.body.innerText,
                legend: Array.from(document.querySelectorAll('.legendtext')).map(n => n.textContent),
            })"""
        )
    finally:
        page.close()
    assert state["pwned"] is None
    assert state["title"].endswith(f" · {TITLE_PAYLOAD}")  # not replaced by a payload, shown literally
    assert state["injected"] == 0
    assert not watch.dialogs
    assert TITLE_PAYLOAD in state["text"]  # the title heading, shown as text
    if name == "index.html":
        for label in LABEL_PAYLOADS:
            assert label in state["text"], f"label not shown literally: {label!r}"
        assert FAILURE_PAYLOAD in state["text"]  # Errors table key for assertion-like failures
        assert MESSAGE_PAYLOAD in state["text"]
    if name == "content/pages/OverTime.html":
        # Per-label legends (Response Time Over Time) show the labels as typed in the results file.
        for label in LABEL_PAYLOADS:
            assert label in state["legend"], f"legend entry not literal: {label!r} not in {state['legend']}"
    assert not watch.errors, watch.errors
    assert not watch.outside_requests, watch.outside_requests


def test_inline_data_cannot_close_its_script_element(hostile_report: Path) -> None:
    for name in PAGES:
        html = (hostile_report / name).read_text(encoding="utf-8")
        data = html.split('<script type="application/json" id="surge-data">', 1)[1].split("</script>", 1)[0]
        assert "<" not in data
        json.loads(data)  # what JSON.parse reads is the whole, valid block
    # The dashboard's rows: one statement, JSON.parse of one string literal holding every label.
    script = (hostile_report / "content/js/dashboard-data.js").read_text(encoding="utf-8")
    prefix, suffix = "window.SurgeDashboardData = JSON.parse(", ");\n"
    assert script.startswith(prefix) and script.endswith(suffix) and script.count("\n") == 1
    rows = json.loads(json.loads(script[len(prefix) : -len(suffix)]))["tables"]["statisticsTable"]["rows"]
    assert {row[0] for row in rows} == set(LABEL_PAYLOADS)


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixture") / "report"
    proc = _run_report([FIXTURES / "banpreet-jpetstore-utg" / "results.jtl"], out, "--tz", "Europe/Paris")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_draws_offline_without_console_errors(
    browser: Any, fixture_report: Path, name: str
) -> None:
    page = browser.new_page()
    watch = PageWatch(page)
    try:
        _open(page, fixture_report, name)
        charts = page.evaluate(
            """() => Array.from(document.querySelectorAll('.chart')).map(node => ({
                id: node.id,
                svg: node.querySelectorAll('.main-svg').length,
                traces: Array.isArray(node.data) ? node.data.length : 0,
                points: Array.isArray(node.data)
                    ? node.data.reduce((sum, t) => sum + ((t.values || t.x || []).length), 0) : 0,
            }))"""
        )
    finally:
        page.close()
    assert len(charts) == CHARTS_PER_PAGE.get(name, 1)
    for chart in charts:
        assert chart["svg"] >= 1, chart
        assert chart["traces"] >= 1, chart
        assert chart["points"] >= 1, chart
    assert not watch.errors, watch.errors
    assert not watch.outside_requests, watch.outside_requests


@pytest.fixture(scope="module")
def compat_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compat") / "report"
    proc = _run_report([FIXTURES / "banpreet-jpetstore-utg" / "results.jtl"], out, "--jmeter-compat")
    assert proc.returncode == 0, proc.stderr
    return out


def test_dashboard_tables_fill_and_sort(browser: Any, compat_report: Path) -> None:
    # JMeter-compatible mode, so the rows are JMeter's (statistics.json of the fixture).
    expected = json.loads(
        (FIXTURES / "banpreet-jpetstore-utg" / "statistics.json").read_text(encoding="utf-8")
    )
    labels = sorted(k for k in expected if k != "Total")
    page = browser.new_page()
    watch = PageWatch(page)
    try:
        _open(page, compat_report, "index.html")
        rows = page.evaluate(
            "() => Array.from(document.querySelectorAll('#statisticsTable tbody.items tr'))"
            ".map(tr => Array.from(tr.cells).map(td => td.textContent))"
        )
        assert sorted(r[0] for r in rows) == labels
        first = page.locator("#statisticsTable thead tr:last-child th").first
        assert first.get_attribute("aria-sort") == "ascending"  # JMeter's default: by label
        total = page.evaluate(
            "() => Array.from(document.querySelector('#statisticsTable tbody.overall tr').cells)"
            ".map(td => td.textContent)"
        )
        assert total[0] == "Total"
        assert int(total[1]) == expected["Total"]["sampleCount"]
        assert int(total[2]) == expected["Total"]["errorCount"]
        # Click "#Samples": largest first, then again: smallest first.
        header = page.locator("#statisticsTable thead tr:last-child th").nth(1).locator("button")
        header.click()
        counts = page.evaluate(
            "() => Array.from(document.querySelectorAll('#statisticsTable tbody.items tr'))"
            ".map(tr => parseInt(tr.cells[1].textContent, 10))"
        )
        assert counts == sorted((expected[label]["sampleCount"] for label in labels), reverse=True)
        header.click()
        counts = page.evaluate(
            "() => Array.from(document.querySelectorAll('#statisticsTable tbody.items tr'))"
            ".map(tr => parseInt(tr.cells[1].textContent, 10))"
        )
        assert counts == sorted(expected[label]["sampleCount"] for label in labels)
        group_headers = page.evaluate(
            "() => Array.from(document.querySelectorAll('#statisticsTable thead tr.groups th'))"
            ".map(th => th.textContent)"
        )
        assert group_headers == [
            "Requests",
            "Executions",
            "Response Times (ms)",
            "Throughput",
            "Network (KB/sec)",
        ]
        error_rows = page.locator("#errorsTable tbody.items tr").count()
        assert error_rows == 1  # one error type in this fixture (JMeter's dashboard.json)
        # Transaction controllers are marked on their label cell, also in APDEX (label last)
        marked = page.evaluate(
            "() => Array.from(document.querySelectorAll('#apdexTable tr.controller td.label'))"
            ".map(td => [td.cellIndex, getComputedStyle(td).fontStyle,"
            " getComputedStyle(td, '::after').content])"
        )
        assert marked and all(m == [3, "italic", '" TC"'] for m in marked), marked
    finally:
        page.close()
    assert not watch.errors, watch.errors


def test_charts_are_interactive(browser: Any, fixture_report: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(page)
    try:
        _open(page, fixture_report, "content/pages/OverTime.html")
        chart = "#chart-responseTimesOverTime"
        # Legend click hides a series.
        page.locator(f"{chart} .legend .traces").first.click()
        page.wait_for_function(
            "sel => document.querySelector(sel).data.some(t => t.visible === 'legendonly')", arg=chart
        )
        # Hovering the plot area shows a value label.
        box = page.locator(f"{chart} .nsewdrag").first.bounding_box()
        assert box is not None
        for i in range(1, 40):  # sweep across the plot until the pointer is near a point
            page.mouse.move(box["x"] + box["width"] * i / 40, box["y"] + box["height"] / 2)
            if page.locator(f"{chart} .hoverlayer .hovertext").count():
                break
        assert page.locator(f"{chart} .hoverlayer .hovertext").count() >= 1
        # Dragging across the plot zooms the time axis.
        before = page.evaluate("sel => document.querySelector(sel)._fullLayout.xaxis.range.slice()", chart)
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "([sel, old]) => String(document.querySelector(sel)._fullLayout.xaxis.range) !== String(old)",
            arg=[chart, before],
        )
    finally:
        page.close()
    assert not watch.errors, watch.errors


# --- layout at 1400 px, sidebar links, legends, long tables (issue 10) ---------------------------------

VIEWPORT = {"width": 1400, "height": 900}
LONG_LABEL = "GET /api/v2/customers/" + "0123456789abcdef" * 12 + "/orders?include=items,payments,shipments"
LONG_ERROR = "Non HTTP response code: org.apache.http.NoHttpResponseException/" + "x" * 150


def _write_rows(path: Path, rows: list[list[Any]], extra_header: tuple[str, ...] = ()) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, *extra_header])
        writer.writerows(rows)


def _row(i: int, label: str, code: str = "200", ok: bool = True, message: str = "OK") -> list[Any]:
    return [1_700_000_000_000 + i * 200, 40 + i % 50, label, code, message, "Users 1-1", "text",
            "true" if ok else "false", "", 1000, 100, 1, 1, "http://127.0.0.1/", 30, 0, 2]  # fmt: skip


@pytest.fixture(scope="module")
def long_text_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long labels and long error messages (as URL-named samplers and Java exceptions make them)."""
    base = tmp_path_factory.mktemp("long")
    rows = []
    for i in range(400):
        label = [LONG_LABEL, LONG_LABEL + "/2", "GET /", "POST /login"][i % 4]
        failed = i % 9 == 0
        code = LONG_ERROR if failed and i % 2 else ("500" if failed else "200")
        rows.append(_row(i, label, code, not failed, LONG_ERROR if failed else "OK"))
    _write_rows(base / "long.jtl", rows)
    proc = _run_report([base / "long.jtl"], base / "report")
    assert proc.returncode == 0, proc.stderr
    return base / "report"


@pytest.fixture(scope="module")
def url_fixture_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real JMeter file named by URL: 81 labels, long exception messages in Top 5."""
    out = tmp_path_factory.mktemp("amin") / "report"
    proc = _run_report([FIXTURES / "amin-pinvest" / "results.jtl"], out)
    assert proc.returncode == 0, proc.stderr
    return out


TABLE_LAYOUT_JS = """() => ({
    documentWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    viewportHeight: window.innerHeight,
    tables: Array.from(document.querySelectorAll('table.data')).map(table => {
        const box = table.parentElement;
        const card = table.closest('.panel');
        const b = box.getBoundingClientRect();
        const c = card.getBoundingClientRect();
        return {
            card: card.id,
            tableWidth: table.scrollWidth,
            boxWidth: box.clientWidth,
            boxHeight: box.clientHeight,
            scrolls: ['auto', 'scroll'].includes(getComputedStyle(box).overflowX),
            insideCard: b.left >= c.left - 0.5 && b.right <= c.right + 0.5,
        };
    }),
})"""


@pytest.mark.parametrize("report_name", ["url_fixture_report", "long_text_report"])
def test_no_table_overflows_its_card_at_1400px(
    browser: Any, request: pytest.FixtureRequest, report_name: str, tmp_path: Path
) -> None:
    report: Path = request.getfixturevalue(report_name)
    page = browser.new_page(viewport=VIEWPORT)
    watch = PageWatch(page)
    try:
        _open(page, report, "index.html")
        page.screenshot(path=str(tmp_path / f"{report_name}-dashboard-1400.png"), full_page=True)
        layout = page.evaluate(TABLE_LAYOUT_JS)
    finally:
        page.close()
    assert layout["documentWidth"] <= layout["viewportWidth"]  # the page itself never scrolls sideways
    assert {t["card"] for t in layout["tables"]} == {"apdex", "statistics", "errors", "top5errors"}
    for table in layout["tables"]:
        assert table["insideCard"], table
        if table["card"] in ("statistics", "top5errors"):
            # the two tables that were cut off: at 1400 px they now fit their card
            assert table["tableWidth"] <= table["boxWidth"] + 1, table
        elif table["tableWidth"] > table["boxWidth"] + 1:
            # any other wide table scrolls inside its card, its scroll bar on screen with it
            assert table["scrolls"] and table["boxHeight"] <= layout["viewportHeight"], table
    assert not watch.errors, watch.errors


def _write_open_model(path: Path) -> None:
    # One response code (200) only, and a queueTime column: the open-model chart is drawn.
    _write_rows(path, [[*_row(i, "GET /"), 800 if 50 <= i < 60 else 0] for i in range(120)], ("queueTime",))


@pytest.fixture(scope="module")
def open_model_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("open")
    _write_open_model(base / "open.jtl")
    proc = _run_report([base / "open.jtl"], base / "report")
    assert proc.returncode == 0, proc.stderr
    return base / "report"


@pytest.mark.parametrize("report_name", ["fixture_report", "open_model_report"])
def test_every_sidebar_link_has_a_target(
    browser: Any, request: pytest.FixtureRequest, report_name: str
) -> None:
    report: Path = request.getfixturevalue(report_name)
    page = browser.new_page(viewport=VIEWPORT)
    try:
        links: dict[str, set[str]] = {}  # target file URL -> fragments linked to
        for name in PAGES:
            _open(page, report, name)
            for href in page.evaluate(
                "() => Array.from(document.querySelectorAll('nav a')).map(a => a.href)"
            ):
                url, _, fragment = href.partition("#")
                links.setdefault(url, set()).add(fragment)
        for url, fragments in links.items():
            assert url.startswith("file://"), url
            page.goto(url)
            page.wait_for_load_state("load")
            ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id]')).map(n => n.id)"))
            missing = sorted(f for f in fragments if f and f not in ids)
            assert not missing, f"{url}: no element for {missing}"
        queue_links = [f for fragments in links.values() for f in fragments if f == "queueTimeOverTime"]
        assert bool(queue_links) == (report_name == "open_model_report")
    finally:
        page.close()


def test_codes_per_second_has_a_legend_with_one_code(browser: Any, open_model_report: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    watch = PageWatch(page)
    try:
        _open(page, open_model_report, "content/pages/Throughput.html")
        legend = page.evaluate(
            "() => Array.from(document.querySelectorAll('#chart-codesPerSecond .legendtext'))"
            ".map(n => n.textContent)"
        )
    finally:
        page.close()
    assert legend == ["200"]
    assert not watch.errors, watch.errors


LABELS = 3_000


@pytest.fixture(scope="module")
def many_labels_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 labels, one per URL id; every 100th has a third sample."""
    base = tmp_path_factory.mktemp("many")
    rows = [_row(i, f"GET /item/{i % LABELS}") for i in range(2 * LABELS)]
    rows += [_row(2 * LABELS + i, f"GET /item/{i}") for i in range(0, LABELS, 100)]
    _write_rows(base / "many.jtl", rows)
    proc = _run_report([base / "many.jtl"], base / "report")
    assert proc.returncode == 0, proc.stderr
    return base / "report"


ITEM_ROWS_JS = (
    "() => Array.from(document.querySelectorAll('#statisticsTable tbody.items tr'))"
    ".map(tr => Array.from(tr.cells).map(td => td.textContent))"
)


def test_long_tables_are_paged_filtered_and_sorted_from_data_loaded_once(
    browser: Any, many_labels_report: Path
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    watch = PageWatch(page)
    tools = "#statisticsTable .table-tools"
    try:
        _open(page, many_labels_report, "index.html")
        assert len(page.evaluate(ITEM_ROWS_JS)) == 50  # one page of rows in the DOM, not 3,000
        assert page.locator(f"{tools} .table-count").text_content() == "1–50 of 3,000"
        first_page = page.evaluate(ITEM_ROWS_JS)
        page.locator(f"{tools} button[aria-label='Next page']").click()
        assert page.locator(f"{tools} .page-position").text_content() == "page 2 of 60"
        assert page.evaluate(ITEM_ROWS_JS)[0] != first_page[0]
        page.locator(f"{tools} button[aria-label='Last page']").click()
        assert [r[0] for r in page.evaluate(ITEM_ROWS_JS)][-1] == "GET /item/2999"  # labels sort as numbers
        page.locator(f"{tools} select").select_option("500")
        assert len(page.evaluate(ITEM_ROWS_JS)) == 500
        # filter: every row, not only the shown page, is searched
        page.locator(f"{tools} .table-filter").fill("/item/2999")
        page.wait_for_function(
            "() => document.querySelectorAll('#statisticsTable tbody.items tr').length === 1"
        )
        assert page.evaluate(ITEM_ROWS_JS)[0][:2] == ["GET /item/2999", "2"]
        assert page.locator(f"{tools} .table-count").text_content() == "1–1 of 1 matching (3,000 in all)"
        page.locator(f"{tools} .table-filter").fill("")
        page.wait_for_function(
            "() => document.querySelectorAll('#statisticsTable tbody.items tr').length === 500"
        )
        # sort by #Samples (largest first): the 30 labels with 3 samples lead, from every page
        page.locator("#statisticsTable thead tr:last-child th").nth(1).locator("button").click()
        counts = [int(r[1]) for r in page.evaluate(ITEM_ROWS_JS)]
        assert counts[:30] == [3] * 30 and set(counts[30:]) == {2}
        assert page.locator("#statisticsTable tbody.overall td").first.text_content() == "Total"
        loaded = page.evaluate("() => window.SurgeDashboardData.tables.statisticsTable.rows.length")
        assert loaded == LABELS
        info = page.locator("#info").text_content() or ""
        assert "the 20 with the most samples one by one, the other 2,980 as one series" in info
    finally:
        page.close()
    assert not watch.errors, watch.errors
    assert not watch.outside_requests, watch.outside_requests


def test_charts_of_many_labels_draw_the_top_labels_and_one_other_series(
    browser: Any, many_labels_report: Path
) -> None:
    for name in PAGES:
        assert (many_labels_report / name).stat().st_size < 500_000, name  # pages stay small
    page = browser.new_page(viewport=VIEWPORT)
    watch = PageWatch(page)
    try:
        _open(page, many_labels_report, "content/pages/OverTime.html")
        names = page.evaluate(
            "() => document.querySelector('#chart-responseTimesOverTime').data.map(t => t.name)"
        )
        note = page.locator("#responseTimesOverTime .fold-note").text_content()
    finally:
        page.close()
    assert len(names) == 21 and names[-1] == "Other labels (2,980)"
    assert note is not None and "The 20 labels with the most samples" in note and "other 2,980" in note
    assert not watch.errors, watch.errors
