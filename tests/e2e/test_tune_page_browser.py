"""The tune's HTML page in headless Chromium: the bars and latency-vs-rate curves draw offline,
without console errors or requests outside the page's folder, and the page runs no text as code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chromium import NEEDS_CHROMIUM
from surge.tune.document import tune_document
from surge.tune.html import render_page
from tune_fakes import tune_result

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    NEEDS_CHROMIUM,
]


def test_bars_and_curves_draw_offline(browser: Any, tmp_path: Path) -> None:
    # A hostile app name: it is in the title, the command and the JSON data block.
    result = tune_result(tmp_path, app="evil<script>window.__pwned=1</script>:app")
    index = render_page(tmp_path / "page", result, tune_document(result))
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith(("file://", "data:")) else outside.append(r.url))
    try:
        page.goto(index.resolve().as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3")
        charts = page.evaluate(
            """() => Object.fromEntries(['maxRateChart', 'p99Chart', 'p50Chart'].map(id => {
                const node = document.getElementById(id);
                return [id, (node.data || []).map(t => ({name: t.name, points: (t.x || []).length}))];
            }))"""
        )
        pwned = page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
        title = page.title()
        chosen = page.evaluate("() => document.querySelector('tr.chosen td:nth-child(2)').textContent")
    finally:
        page.close()
    # One bar per ranked candidate: gevent, the reference row and sync-w1 met the SLO.
    (bars,) = charts["maxRateChart"]
    assert bars["points"] == 3
    # One curve per candidate with trials (the failed one had none), the reference row included.
    names = {trace["name"] for trace in charts["p99Chart"]}
    assert names == {"gevent-w1-c1000", "flask-dev-server", "sync-w1"}
    assert all(trace["points"] >= 2 for trace in charts["p99Chart"])
    assert len(charts["p50Chart"]) == 3
    assert chosen == "gevent"
    assert pwned is None and "<script>" in title
    assert not errors, errors
    assert not outside, outside
