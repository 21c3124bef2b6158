"""The tune's HTML page: the report's look (its stylesheet, Plotly from the plotly package, offline),
a ranking table, bars of each candidate's highest rate at the SLO and latency-vs-rate curves.

Written into the tune's folder as ``index.html`` with ``content/css`` and ``content/js`` beside
it, as the report is; the page runs no inline script (the data is a JSON block).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from surge import __version__
from surge.errors import SurgeError
from surge.tune.ranking import CandidateResult
from surge.tune.session import TuneResult
from surge.tune.text import rate_text, recommendation_lines
from surge.units import format_duration_s

_MIB = 1024 * 1024
_P99 = {"p99"}
_P50 = {"p50", "med", "median"}


def _script_json(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return Markup(text)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("surge.tune", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _copy_assets(out_dir: Path) -> None:
    from surge.report.render import plotly_js_path

    css_dir = out_dir / "content" / "css"
    js_dir = out_dir / "content" / "js"
    css_dir.mkdir(parents=True, exist_ok=True)
    js_dir.mkdir(parents=True, exist_ok=True)
    # The report's stylesheet, read from the installed package: the same look, one copy of it.
    css = resources.files("surge.report") / "static" / "css" / "surge.css"
    (css_dir / "surge.css").write_bytes(css.read_bytes())
    ours = resources.files("surge.tune") / "static" / "surge-tune.js"
    (js_dir / "surge-tune.js").write_bytes(ours.read_bytes())
    shutil.copyfile(plotly_js_path(), js_dir / "plotly.min.js")


def _row(result: CandidateResult, rank: str, chosen: bool) -> dict[str, Any]:
    candidate = result.candidate
    best = result.best
    has_figure = best is not None and result.max_rps is not None
    return {
        "rank": rank,
        "mode": "Flask dev server" if candidate.reference else candidate.mode,
        "workers": "" if candidate.reference else candidate.workers,
        "per_worker": candidate.per_worker,
        "max_rps": rate_text(result.max_rps) if result.max_rps is not None else "",
        "range": f"{rate_text(result.low)}-{rate_text(result.high)}"
        if result.low is not None and result.high is not None
        else "",
        "p50": f"{best.p50_ms:.1f}" if has_figure and best else "",
        "p99": f"{best.p99_ms:.1f}" if has_figure and best else "",
        "cpu": f"{best.server_cpu_percent:.0f}" if has_figure and best else "",
        "rss": f"{best.server_rss_bytes / _MIB:.0f}" if has_figure and best else "",
        "status": result.status.value.replace("_", " ") + (" (reference)" if candidate.reference else ""),
        "reason": result.reason,
        "chosen": chosen,
    }


def _limit_ms(result: TuneResult, metrics: set[str]) -> float | None:
    limits = [t.value for t in result.plan.slo if t.metric in metrics and t.op in ("<", "<=") and not t.label]
    return min(limits) if limits else None


def render_page(out_dir: Path, result: TuneResult, document: dict[str, Any]) -> Path:
    """Write index.html and its assets into ``out_dir``; return index.html's path."""
    plan = result.plan
    ranking = result.ranking
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _copy_assets(out_dir)
    except OSError as exc:
        raise SurgeError(f"cannot write the tune's page into {out_dir}: {exc.strerror or exc}") from exc
    chosen = ranking.recommendation.candidate if ranking.recommendation is not None else None
    rows = []
    number = 0
    for item in ranking.results:
        rank = "-"
        if item.status.value == "ok":
            number += 1
            rank = str(number)
        rows.append(_row(item, rank, item.candidate == chosen))
    lines = recommendation_lines(result)
    command = lines[0].removeprefix("Recommendation: ") if chosen is not None else ""
    summary = [line.strip() for line in (lines[1:] if chosen is not None else lines)]
    notes = []
    if result.log.interrupted:
        notes.append("The tune was interrupted: these are the candidates measured until then.")
    if result.log.budget_exhausted:
        notes.append("The time budget ran out before the search was done: some candidates were not measured.")
    if plan.cores.shared:
        notes.append(
            "The server and the load generator shared the machine's only core: figures include both."
        )
    model = "users, closed" if plan.load.closed else "arrival rate, open"
    setup = [
        ("App", plan.options.app),
        (
            "Load",
            f"{plan.options.source.describe()} ({model} model)",
        ),
        ("SLO", ", ".join(t.text for t in plan.slo)),
        ("Cores", plan.cores.describe()),
        (
            "Search",
            f"{result.log.strategy}; {len(result.log.measurements)} measurements, {result.trials} trials",
        ),
        (
            "Time",
            f"{format_duration_s(result.elapsed_s)} of a {format_duration_s(plan.options.budget_s)} budget",
        ),
        ("Scope", "generator and server on the same machine: the figures hold for this machine"),
    ]
    data = dict(document)
    data["p99_limit_ms"] = _limit_ms(result, _P99)
    data["p50_limit_ms"] = _limit_ms(result, _P50)
    page = (
        _environment()
        .get_template("tune.html")
        .render(
            title=f"surge tune: {plan.options.app}",
            version=__version__,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            notes=notes,
            command=command,
            summary=summary,
            ranking_note=(
                "Each candidate's highest rate that met the SLO ({slo}): the rate its users"
                " achieved at the most users that met it."
                if plan.load.closed
                else "Each candidate's highest arrival rate that met the SLO ({slo})."
            ).format(slo=", ".join(t.text for t in plan.slo)),
            rows=rows,
            setup=setup,
            data_json=_script_json(data),
        )
    )
    index = out_dir / "index.html"
    try:
        index.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise SurgeError(f"cannot write {index}: {exc.strerror or exc}") from exc
    return index
