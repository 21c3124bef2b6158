"""The comparison page in headless Chromium: offline, untrusted labels inert, table, charts, trend.

Builds a comparison of three synthetic runs with the real CLI, opens it from file:// with Playwright
driving Debian's ``chromium``, and leaves a full-page screenshot (compare.png) in the test's folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chromium import NEEDS_CHROMIUM
from synthetic_runs import LabelSpec, samples, write_jtl

HOSTILE = "<img src=x onerror=\"window.__pwned='label'\">"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),
    NEEDS_CHROMIUM,
]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare")
    labels = {
        "login": LabelSpec(3000, 120),
        "search": LabelSpec(6000, 300),
        HOSTILE: LabelSpec(1500, 60),
        "home": LabelSpec(8000, 40),
    }
    slower = {**labels, "search": LabelSpec(6000, 300, factor=1.2), "home": LabelSpec(8000, 40, factor=0.85)}
    runs = [
        write_jtl(folder / "monday.jtl", samples(labels, 1)),
        write_jtl(folder / "tuesday.jtl", samples(labels, 2)),
        write_jtl(folder / "wednesday.jtl", samples(slower, 3)),
    ]
    out = folder / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "surge", "compare", *map(str, runs), "-o", str(out), "--title", "<b>t</b>"],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    return out


def _cell_texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")


def test_the_page_works_offline_and_shows_the_comparison(browser: Any, comparison: Path) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith(("file://", "data:")) else outside.append(r.url))
    try:
        page.goto((comparison / "index.html").resolve().as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7", timeout=30_000
        )
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator("h1").text_content() == "<b>t</b>"
        assert page.locator("#verdict h2").text_content() == "Regression"
        assert "search: p95 +" in (page.locator("#verdict").text_content() or "")

        # The table: the Total first, each label once, the hostile one shown as text.
        labels = _cell_texts(page, "#compareTable tbody tr td:first-child")
        assert labels[0] == "Total" and sorted(labels[1:]) == sorted([HOSTILE, "home", "login", "search"])
        headers = _cell_texts(page, "#compareTable thead th button")
        p95 = headers.index("p95 (ms)")
        # Coloured by significance: search slower (worse, a regression), home faster (better).
        row = page.locator("#compareTable tbody.items tr", has_text="search")
        assert "worse" in row.locator("td").nth(p95).get_attribute("class") and "regression" in row.locator(
            "td"
        ).nth(p95).get_attribute("class")
        home = page.locator("#compareTable tbody.items tr", has_text="home")
        assert "better" in home.locator("td").nth(p95).get_attribute("class")
        assert "confidence interval" in home.locator("td").nth(p95).get_attribute("title")

        # Sortable: a click on p95 puts the largest change first, a second click the smallest.
        page.locator("#compareTable thead th button", has_text="p95 (ms)").click()
        order = _cell_texts(page, "#compareTable tbody.items tr td:first-child")
        assert order[0] == "search" and order[-1] == "home"
        assert (
            page.locator("#compareTable thead th", has_text="p95 (ms)").get_attribute("aria-sort")
            == "descending"
        )
        page.locator("#compareTable thead th button", has_text="p95 (ms)").click()
        assert _cell_texts(page, "#compareTable tbody.items tr td:first-child")[0] == "home"
        page.fill("#compareTable input.table-filter", "log")
        assert _cell_texts(page, "#compareTable tbody.items tr td:first-child") == ["login"]
        page.select_option("#compareView", "all")
        assert "Base" in _cell_texts(page, "#compareTable thead th button")

        # Charts of both runs for the chosen label, and the trend of the three runs.
        assert page.evaluate("document.getElementById('chartCurve').data.length") == 2
        page.select_option("#chartRow", "search")
        names = page.evaluate("document.getElementById('chartTime').data.map(t => t.name)")
        assert names == ["monday.jtl", "wednesday.jtl"]
        assert page.evaluate("document.getElementById('trend_p95').data[0].y.length") == 3
        assert len(_cell_texts(page, "#trendTable tbody tr")) == 5
        assert _cell_texts(page, "#onlyBaseline p") == ["None."]
        page.screenshot(path=str(comparison.parent / "compare.png"), full_page=True)
    finally:
        page.close()
    assert not errors and not outside, (errors, outside)
