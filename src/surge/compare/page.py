"""Write the comparison page: the report's look (its base template, CSS, Plotly.js), offline.

The verdict, the runs and the rules are rendered into index.html by Jinja2 (autoescaped: labels come
from untrusted results files); the table, the charts and the trend are drawn by surge-compare.js
from content/js/compare-data.js, one ``JSON.parse`` of one string literal, as the report's tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from surge import __version__
from surge.compare.diff import METRICS, Comparison
from surge.compare.gate import GateResult
from surge.compare.measure import RowKey
from surge.compare.series import CURVE_PERCENTS, RunSeries
from surge.compare.trend import TREND_METRICS, TrendRow
from surge.report.info import format_span_ms, format_time_ms
from surge.report.pagedata import script_assignment, script_json
from surge.report.render import plotly_js_path

DATA_JS = "compare-data.js"
_REPORT_JS = ("surge-common.js",)
_REPORT_CSS = ("surge.css",)
_OWN_JS = ("surge-compare.js",)
_OWN_CSS = ("surge-compare.css",)
# Significant digits kept in the page's data (the JSON file keeps every digit).
_DIGITS = 6


@dataclass(frozen=True)
class PageContent:
    title: str
    runs: Sequence[Any]  # surge.compare.build.Run
    comparison: Comparison
    gate: GateResult
    trend: Sequence[TrendRow] | None
    series: tuple[RunSeries, RunSeries]
    charted: Sequence[RowKey]
    timezone: str
    default_rules: bool


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("surge.compare", "templates"),
                jinja2.PackageLoader("surge.report", "templates"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _round(value: float | None) -> float | None:
    """Values to 4 decimals (ms, samples/s, %); small numbers (p-values) to 6 significant digits."""
    if value is None or not math.isfinite(value):
        return None
    if abs(value) >= 0.01:
        return round(value, 4)
    return float(f"{value:.{_DIGITS}g}")


def _copy_static(out_dir: Path) -> None:
    for package, sub, names in (
        ("surge.report", "js", _REPORT_JS),
        ("surge.report", "css", _REPORT_CSS),
        ("surge.compare", "js", _OWN_JS),
        ("surge.compare", "css", _OWN_CSS),
    ):
        target = out_dir / "content" / sub
        target.mkdir(parents=True, exist_ok=True)
        static = resources.files(package) / "static" / sub
        for name in names:
            (target / name).write_bytes((static / name).read_bytes())
    (out_dir / "content" / "js" / "plotly.min.js").write_bytes(plotly_js_path().read_bytes())


def _table_rows(content: PageContent) -> list[list[Any]]:
    """Per row: name, flags (1 Total, 2 transaction controller, 4 regression) and per metric
    [baseline, candidate, two-sided p or null, CI low, CI high, direction, note]; direction is
    1 for a significant change for the worse, -1 for the better, 0 not significant, null untested."""
    comparison = content.comparison
    regressions: dict[str, set[str]] = {}
    for check in content.gate.regressions:
        regressions.setdefault(check.row, set()).add(check.rule.metric)
    rows = []
    for row in comparison.rows:
        flags = (1 if row.is_total else 0) | (2 if row.is_controller else 0)
        flags |= 4 if row.name in regressions else 0
        cells: list[Any] = [row.name, flags]
        for metric in METRICS:
            change = row.changes[metric.name]
            cell: list[Any] = [_round(change.base), _round(change.cand)]
            test = change.test
            if test is None:
                cell += [None, None, None, None, ""]
            elif not test.tested:
                cell += [None, None, None, None, test.reason]
            else:
                direction = 0
                if change.significant(comparison.alpha) and change.absolute:
                    direction = 1 if metric.worse * change.absolute > 0 else -1
                cell += [_round(test.p_two_sided), _round(test.ci_low), _round(test.ci_high), direction, ""]
            if metric.name in regressions.get(row.name, ()):
                cell.append(1)
            cells.append(cell)
        rows.append(cells)
    return rows


def _charts(content: PageContent) -> dict[str, Any]:
    names = {row.key: row.name for row in content.comparison.rows}
    runs: list[dict[str, Any]] = []
    for series in content.series:
        per_row = {}
        for key in content.charted:
            curve = series.curves.get(key, [])
            buckets = series.over_time.get(key, [])
            per_row[names[key]] = {
                "curve": [[p, v] for p, v in curve],
                "time": [[b.offset_s, b.count, b.errors, _round(b.mean_ms)] for b in buckets],
            }
        runs.append(per_row)
    step_s = content.series[0].step_ms / 1000.0
    return {
        "rows": [names[key] for key in content.charted],
        "stepS": step_s,
        "percents": list(CURVE_PERCENTS),
        "baseline": runs[0],
        "candidate": runs[1],
    }


def _trend(content: PageContent) -> dict[str, Any] | None:
    if content.trend is None:
        return None
    return {
        "runs": [run.name for run in content.runs],
        "metrics": [{"name": n, "title": t, "unit": u} for n, t, u in TREND_METRICS],
        "rows": [
            [row.name, *([_round(v) for v in row.values[n]] for n, _, _ in TREND_METRICS)]
            for row in content.trend
        ],
    }


def page_data(content: PageContent) -> dict[str, Any]:
    """What compare-data.js holds."""
    comparison = content.comparison
    return {
        "alpha": comparison.alpha,
        "runs": [run.name for run in (content.runs[0], content.runs[-1])],
        "metrics": [
            {"name": m.name, "title": m.title, "unit": m.unit, "worse": m.worse, "tested": m.tested}
            for m in METRICS
        ],
        "rows": _table_rows(content),
        "only": {
            "baseline": [[name, s.count] for name, s in comparison.only_base],
            "candidate": [[name, s.count] for name, s in comparison.only_cand],
        },
        "charts": _charts(content),
        "trend": _trend(content),
    }


def _run_rows(content: PageContent) -> list[dict[str, str]]:
    rows = []
    count = len(content.runs)
    for i, run in enumerate(content.runs):
        role = "baseline" if i == 0 else ("candidate" if i == count - 1 else f"run {i + 1}")
        stats = run.stats
        rows.append(
            {
                "role": role,
                "name": run.name,
                "start": format_time_ms(stats.start_ms, content.timezone) if stats.rows else "",
                "duration": format_span_ms(stats.duration_ms) if stats.rows else "",
                "samples": f"{run.load.rows_loaded:,}",
                "bad": f"{run.load.bad_rows:,}",
            }
        )
    return rows


def _nav() -> list[tuple[str, str]]:
    return [
        ("verdict", "Verdict"),
        ("runs", "Runs and rules"),
        ("comparison", "Comparison"),
        ("only", "Labels in one run only"),
        ("charts", "Charts"),
    ]


def render_page(out_dir: Path, content: PageContent) -> Path:
    """Write index.html and its assets into ``out_dir``; return index.html's path."""
    zone = ZoneInfo(content.timezone)
    _copy_static(out_dir)
    (out_dir / "content" / "js" / DATA_JS).write_text(
        script_assignment("SurgeCompareData", page_data(content)), encoding="utf-8"
    )
    generated = datetime.now(UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    gate = content.gate
    nav = _nav() + ([("trend", "Trend")] if content.trend is not None else [])
    notes = [w for run in content.runs for w in run.load.warnings]
    notes += [
        f"{run.name}: bad rows skipped: {run.load.bad_rows:,}" for run in content.runs if run.load.bad_rows
    ]
    index = out_dir / "index.html"
    index.write_text(
        _environment()
        .get_template("compare.html")
        .render(
            title=content.title,
            version=__version__,
            generated=generated,
            root="",
            current="compare",
            nav=nav,
            runs=_run_rows(content),
            base=content.runs[0].name,
            cand=content.runs[-1].name,
            passed=gate.passed,
            regressions=[c.reason() for c in gate.regressions],
            broken_not_significant=[c.reason() for c in gate.checks if c.broken and not c.significant],
            notices=list(gate.notices),
            rules=[rule.text for rule in gate.rules],
            default_rules=content.default_rules,
            checks=len(gate.checks),
            alpha=f"{content.comparison.alpha:g}",
            notes=notes,
            has_trend=content.trend is not None,
            data_json=script_json({"timezone": content.timezone}),
            data_js=DATA_JS,
        ),
        encoding="utf-8",
    )
    return index
