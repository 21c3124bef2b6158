"""Turn computed tables and graphs into the JSON the pages read, safe inside a <script> element.

Chart pages inline their data in a ``<script type="application/json">`` block. The dashboard's
tables, which have a row per label (any number of them), go in a data script of their own,
``content/js/dashboard-data.js``, loaded once (as JMeter's ``content/js/dashboard.js``) and read with
``JSON.parse``. The browser code writes every label with ``textContent`` (or HTML-escaped for
Plotly), so the data never becomes markup. This module also keeps pages light: columnar series,
rounded values, time axes shifted to the display time zone, table rows as bare arrays.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from math import isfinite
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from surge.report.catalog import GRAPH_ID_ALIASES, ChartSpec

# Characters that could end the <script> element or start an HTML comment/CDATA inside it, and the
# two line terminators that old JavaScript parsers refuse in strings. In JSON they only occur inside
# strings, where the \\u form is equivalent.
_SCRIPT_UNSAFE = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}

_CHART_DECIMALS = 3  # chart values are shown with 2 decimals; 3 keeps hover exact at that precision


def _script_safe(text: str) -> str:
    # str.replace per character: str.translate with a mapping is ten times slower on a 20 MB text
    for char, escaped in _SCRIPT_UNSAFE.items():
        if chr(char) in text:
            text = text.replace(chr(char), escaped)
    return text


def script_json(data: Any) -> Markup:
    """Serialize ``data`` for a ``<script type="application/json">`` block (cannot close the element)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(_script_safe(text))


def script_assignment(name: str, data: Any) -> str:
    """A JavaScript file setting ``window[name]`` to ``data``: ``JSON.parse`` of one string literal.

    A JSON string is a JavaScript string literal (once U+2028/U+2029 are escaped for old parsers),
    so nothing in ``data`` can end the literal; JSON.parse then builds plain data, never code, and
    V8 parses a large JSON string faster than the same object literal.
    """
    if not name.isidentifier():
        raise ValueError(f"not a JavaScript identifier: {name!r}")
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    literal = _script_safe(json.dumps(text, ensure_ascii=False))
    return f"window.{name} = JSON.parse({literal});\n"


# Values table_safe passes through unchanged; checked by exact type first because a table holds
# millions of them (a row per label).
_PLAIN = frozenset({str, int, bool, type(None)})


def table_safe(value: Any) -> Any:
    """Copy ``value`` with NaN/Infinity replaced by the strings JMeter shows ("NaN", "Infinity")."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [
            v if type(v) in _PLAIN or (type(v) is float and isfinite(v)) else table_safe(v) for v in value
        ]
    if kind is dict:
        return {
            str(k): v if type(v) in _PLAIN or (type(v) is float and isfinite(v)) else table_safe(v)
            for k, v in value.items()
        }
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Mapping):
        return {str(k): table_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [table_safe(v) for v in value]
    return value


# Columns holding error keys: Errors "Type of error", Top 5 "Error" slots.
_ERROR_KEY_COLUMNS = {"errorsTable": (0,), "top5ErrorsBySamplerTable": (3, 5, 7, 9, 11)}


def _unescape_columns(data: list[Any], columns: Iterable[int]) -> list[Any]:
    data = list(data)
    for index in columns:
        if index < len(data) and isinstance(data[index], str):
            data[index] = html.unescape(data[index])
    return data


def dashboard_tables(tables: Mapping[str, Any], error_keys_html_escaped: bool = False) -> dict[str, Any]:
    """The dashboard's tables (dashboard.json shape) as the page reads them.

    Each table is ``{titles, rows: [[...], ...], controllers: [row indexes], overall?: [...]}``:
    rows as bare arrays (a table can have a row per label, 100,000 of them) and the indexes of the
    transaction-controller rows apart.

    ``error_keys_html_escaped``: the error keys are JMeter's HTML-escaped strings
    (``ErrorKeys.HTML_ESCAPED``). JMeter's page inserts them as HTML; ours writes text, so they are
    unescaped first to show the same characters.
    """
    out: dict[str, Any] = {}
    for key in ("apdexTable", "statisticsTable", "errorsTable", "top5ErrorsBySamplerTable"):
        table = tables.get(key)
        if table is None:
            continue
        unescape = _ERROR_KEY_COLUMNS.get(key, ()) if error_keys_html_escaped else ()
        # JMeter pads Top 5 with empty rows; they carry nothing to show.
        items = [item for item in table.get("items", []) if item.get("data")]
        clean: dict[str, Any] = {
            "titles": list(table.get("titles", [])),
            "rows": [_unescape_columns(i["data"], unescape) if unescape else i["data"] for i in items],
            "controllers": [index for index, i in enumerate(items) if i.get("isController")],
        }
        overall = table.get("overall")
        if overall and overall.get("data"):
            clean["overall"] = _unescape_columns(overall["data"], unescape)
        out[key] = table_safe(clean)
    summary = tables.get("requestsSummary")
    if summary is not None:
        out["requestsSummary"] = table_safe(
            {"KoPercent": summary.get("KoPercent"), "OkPercent": summary.get("OkPercent")}
        )
    return out


def find_graph(graphs: Mapping[str, Any], graph_id: str) -> Mapping[str, Any] | None:
    """The graph computed for ``graph_id``, also under its other names."""
    if graph_id in graphs:
        found: Mapping[str, Any] = graphs[graph_id]
        return found
    for alias, canonical in GRAPH_ID_ALIASES.items():
        if canonical == graph_id and alias in graphs:
            found = graphs[alias]
            return found
    return None


def _chart_number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None  # a gap in the line rather than an invalid JSON token
    rounded = round(number, _CHART_DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


class _ZoneShift:
    """Adds the display zone's UTC offset (at that instant) to epoch-ms x values.

    Plotly draws numeric dates as UTC, so shifting each x by its own offset shows local wall-clock
    time, daylight-saving changes included. Bucketed x values repeat, hence the cache.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._cache: dict[float, float] = {}

    def __call__(self, x_ms: float) -> float:
        shifted = self._cache.get(x_ms)
        if shifted is None:
            moment = datetime.fromtimestamp(x_ms / 1000.0, tz=UTC).astimezone(self._zone)
            offset = moment.utcoffset()
            offset_ms = offset.total_seconds() * 1000.0 if offset is not None else 0.0
            shifted = x_ms + offset_ms
            self._cache[x_ms] = shifted
        return shifted


def _steps(points: list[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    """Keep only the points where a step line changes value (plus the last one): same drawing."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    for point in points[1:-1]:
        if point[1] != kept[-1][1]:
            kept.append(point)
    kept.append(points[-1])
    return kept


def _sort_key(label: str) -> tuple[str, str]:
    return (label.casefold(), label)


def chart_data(spec: ChartSpec, graph: Mapping[str, Any] | None, zone: ZoneInfo) -> dict[str, Any]:
    """One chart's inlined data: axis titles, drawing kind and columnar series."""
    result: Mapping[str, Any] = graph.get("result", {}) if graph is not None else {}
    granularity = result.get("granularity")
    chart: dict[str, Any] = {
        "id": spec.graph_id,
        "kind": spec.kind,
        "xTitle": spec.x_title,
        "yTitle": spec.y_title,
        "granularityMs": int(granularity) if granularity else None,
        "series": [],
    }
    shift = _ZoneShift(zone) if spec.is_time else None
    ticks = {int(t[0]): str(t[1]) for t in result.get("ticks", [])} if spec.kind == "categories" else {}
    raw_series: Iterable[Mapping[str, Any]] = result.get("series", [])
    series_out = []
    for series in raw_series:
        data = series.get("data", [])
        points = [(float(p[0]), _chart_number(p[1])) for p in data if p and p[0] is not None]
        points.sort(key=lambda p: p[0])
        if spec.kind == "steps":
            points = _steps(points)
        xs: list[Any]
        if shift is not None:
            xs = [int(shift(x)) for x, _ in points]
        elif spec.kind == "categories":
            xs = [ticks.get(int(x), str(x)) for x, _ in points]
        else:
            xs = [_chart_number(x) for x, _ in points]
        out: dict[str, Any] = {
            "label": str(series.get("label", "")),
            "isController": bool(series.get("isController")),
            "x": xs,
            "y": [y for _, y in points],
        }
        if series.get("color"):
            out["color"] = str(series["color"])
        if series.get("isOther"):
            out["isOther"] = True
        series_out.append(out)
    if spec.kind == "categories":
        chart["categories"] = [ticks[k] for k in sorted(ticks)]
    else:
        # the folded "other" series after the labels drawn one by one
        series_out.sort(key=lambda s: (bool(s.get("isOther")), *_sort_key(s["label"])))
    chart["series"] = series_out
    return chart


_FOLDED_NOUNS = {"codesPerSecond": "response codes", "activeThreadsOverTime": "thread groups"}


def fold_note(spec: ChartSpec, graph: Mapping[str, Any] | None) -> str | None:
    """The line under a chart that draws some labels (codes, thread groups) together as one series."""
    result: Mapping[str, Any] = graph.get("result", {}) if graph is not None else {}
    folded = int(result.get("foldedCount") or 0)
    if not folded:
        return None
    drawn = int(result.get("drawnCount") or 0)
    noun = _FOLDED_NOUNS.get(spec.graph_id, "labels")
    return (
        f"The {drawn:,} {noun} with the most samples are drawn one by one, the other {folded:,} "
        "together as one series (surge report --chart-labels sets how many are drawn)."
    )
