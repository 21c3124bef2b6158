"""Write the HTML dashboard: pages from Jinja2 templates (autoescaped), our CSS/JS and Plotly.js."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from surge import __version__
from surge.errors import SurgeError
from surge.report.catalog import CHART_PAGES, PageSpec
from surge.report.pagedata import (
    chart_data,
    dashboard_tables,
    find_graph,
    fold_note,
    script_assignment,
    script_json,
)

PAGES_DIR = Path("content") / "pages"
JS_DIR = Path("content") / "js"
CSS_DIR = Path("content") / "css"
_OUR_JS = ("surge-common.js", "surge-dashboard.js", "surge-charts.js")
# The dashboard's tables (a row per label, any number of them), loaded once by index.html.
DASHBOARD_DATA_JS = "dashboard-data.js"
_OUR_CSS = ("surge.css",)


@dataclass(frozen=True)
class InfoRow:
    """One line of the "Test and Report information" table (name, value)."""

    name: str
    value: str


@dataclass(frozen=True)
class ReportContent:
    """Everything a report shows, already computed."""

    title: str
    tables: Mapping[str, Any]  # dashboard.json shape
    graphs: Mapping[str, Any]  # graphs.json shape: graph id -> {"result": {...}}
    info: Sequence[InfoRow]
    timezone: str = "UTC"
    notes: Sequence[str] = field(default=())  # warnings shown on the dashboard (e.g. bad rows)
    error_keys_html_escaped: bool = False  # ErrorKeys.HTML_ESCAPED: error keys are JMeter's escaped strings


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("surge.report", "templates"),
        autoescape=True,  # every label, message and URL comes from an untrusted results file
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def plotly_js_path() -> Path:
    """plotly.min.js from the installed ``plotly`` package (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise SurgeError("the plotly package is not installed: pip install plotly")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "package_data" / "plotly.min.js"
        if candidate.is_file():
            return candidate
    raise SurgeError("plotly.min.js not found in the installed plotly package (reinstall plotly)")


def _copy_static(out_dir: Path) -> None:
    static = resources.files("surge.report") / "static"
    for sub, names in (("js", _OUR_JS), ("css", _OUR_CSS)):
        target_dir = out_dir / "content" / sub
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            (target_dir / name).write_bytes((static / sub / name).read_bytes())
    shutil.copyfile(plotly_js_path(), out_dir / JS_DIR / "plotly.min.js")


def _nav(root: str, pages: Sequence[PageSpec]) -> list[dict[str, Any]]:
    """Sidebar entries; the current page lists its charts, so ``pages`` are the visible ones only."""
    return [
        {"title": page.title, "href": f"{root}{(PAGES_DIR / page.file_name).as_posix()}", "page": page}
        for page in pages
    ]


def _visible_charts(page: PageSpec, content: ReportContent) -> PageSpec:
    """The page without its optional charts that this report did not compute."""
    charts = tuple(
        spec for spec in page.charts if not spec.optional or find_graph(content.graphs, spec.graph_id)
    )
    return replace(page, charts=charts)


def _chart_page_data(page: PageSpec, content: ReportContent, zone: ZoneInfo) -> dict[str, Any]:
    charts = [chart_data(spec, find_graph(content.graphs, spec.graph_id), zone) for spec in page.charts]
    return {"timezone": content.timezone, "charts": charts}


def _fold_notes(page: PageSpec, content: ReportContent) -> dict[str, str]:
    notes = {}
    for spec in page.charts:
        note = fold_note(spec, find_graph(content.graphs, spec.graph_id))
        if note:
            notes[spec.graph_id] = note
    return notes


def render_report(out_dir: Path, content: ReportContent) -> Path:
    """Write index.html, the chart pages and their assets into ``out_dir``; return index.html's path."""
    zone = ZoneInfo(content.timezone)
    env = _environment()
    _copy_static(out_dir)
    generated = datetime.now(UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    common = {"title": content.title, "version": __version__, "generated": generated}
    # A page whose charts were all optional and not computed (Server, without metrics) is left out.
    pages = [page for page in (_visible_charts(p, content) for p in CHART_PAGES) if page.charts]

    tables = {"tables": dashboard_tables(content.tables, content.error_keys_html_escaped)}
    (out_dir / JS_DIR / DASHBOARD_DATA_JS).write_text(
        script_assignment("SurgeDashboardData", tables), encoding="utf-8"
    )
    index = out_dir / "index.html"
    index.write_text(
        env.get_template("dashboard.html").render(
            **common,
            root="",
            nav=_nav("", pages),
            current="dashboard",
            info=content.info,
            notes=content.notes,
            data_json=script_json({"timezone": content.timezone}),
            dashboard_data_js=DASHBOARD_DATA_JS,
        ),
        encoding="utf-8",
    )
    pages_dir = out_dir / PAGES_DIR
    pages_dir.mkdir(parents=True, exist_ok=True)
    chart_template = env.get_template("charts.html")
    for page in pages:
        (pages_dir / page.file_name).write_text(
            chart_template.render(
                **common,
                root="../../",
                nav=_nav("../../", pages),
                current=page.page_id,
                page=page,
                fold_notes=_fold_notes(page, content),
                data_json=script_json(_chart_page_data(page, content, zone)),
            ),
            encoding="utf-8",
        )
    return index
