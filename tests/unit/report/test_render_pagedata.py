"""The data pages inline: script-safe JSON, time-zone shift, light series, tables as shown."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from surge.report.catalog import CHART_PAGES, ChartSpec
from surge.report.pagedata import (
    chart_data,
    dashboard_tables,
    find_graph,
    fold_note,
    script_assignment,
    script_json,
    table_safe,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jmeter"
UTC_ZONE = ZoneInfo("UTC")


def _ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)  # type: ignore[misc]


def test_script_json_cannot_end_the_script_element_and_round_trips() -> None:
    data = {"label": "</script><script>alert(1)</script><!-- & \u2028 \u2029 ]]>", "n": [1, 2.5, None]}
    text = str(script_json(data))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == data


def test_data_script_is_one_json_string_parsed_at_load() -> None:
    data = {"rows": [["</script><script>alert(1)</script>", '"); alert(1); ("', "\\", "\u2028\u2029", 1.5]]}
    text = script_assignment("SurgeDashboardData", data)
    prefix, suffix = "window.SurgeDashboardData = JSON.parse(", ");\n"
    assert text.startswith(prefix) and text.endswith(suffix)
    literal = text[len(prefix) : -len(suffix)]
    # one JSON string literal (so one JavaScript string literal): its content is the data's JSON
    assert json.loads(json.loads(literal)) == data
    assert "\u2028" not in text and "\u2029" not in text and "<" not in text
    with pytest.raises(ValueError):
        script_assignment("x; alert(1)", data)


def test_dashboard_rows_are_bare_arrays_with_controllers_apart() -> None:
    tables = {
        "statisticsTable": {
            "titles": ["Label", "#Samples"],
            "overall": {"isController": False, "data": ["Total", 3]},
            "items": [
                {"isController": False, "data": ["a", 1]},
                {"isController": True, "data": ["t", 1]},
                {"isController": False, "data": ["b", math.nan]},
            ],
        }
    }
    assert dashboard_tables(tables)["statisticsTable"] == {
        "titles": ["Label", "#Samples"],
        "rows": [["a", 1], ["t", 1], ["b", "NaN"]],
        "controllers": [1],
        "overall": ["Total", 3],
    }


def test_folded_series_come_last_and_are_explained() -> None:
    spec = ChartSpec("responseTimesOverTime", "R", "Time", "ms", "time_lines")
    graph = _graph(
        [
            {"label": "Other labels (7)", "isOther": True, "data": [[0, 1.0]]},
            {"label": "z", "data": [[0, 2.0]]},
            {"label": "a", "data": [[0, 3.0]]},
        ],
        drawnCount=2,
        foldedCount=7,
    )
    chart = chart_data(spec, graph, UTC_ZONE)
    assert [s["label"] for s in chart["series"]] == ["a", "z", "Other labels (7)"]
    assert chart["series"][2]["isOther"] is True and "isOther" not in chart["series"][0]
    note = fold_note(spec, graph)
    assert note is not None and "The 2 labels with the most samples" in note and "other 7" in note
    assert fold_note(spec, _graph([{"label": "a", "data": []}])) is None


def test_script_json_refuses_non_finite_numbers() -> None:
    with pytest.raises(ValueError):
        script_json({"x": math.nan})


def test_table_safe_spells_non_finite_numbers_as_jmeter_prints_them() -> None:
    assert table_safe({"a": [math.nan, math.inf, -math.inf, 1.5, "x", None]}) == {
        "a": ["NaN", "Infinity", "-Infinity", 1.5, "x", None]
    }


def test_dashboard_tables_drop_jmeters_empty_top5_rows() -> None:
    tables = json.loads((FIXTURES / "banpreet-jpetstore-utg" / "dashboard.json").read_text(encoding="utf-8"))
    shown = dashboard_tables(tables)
    top5 = shown["top5ErrorsBySamplerTable"]
    assert [row[0] for row in top5["rows"]] == ["Select any product-12"]
    assert top5["overall"][0] == "Total"
    assert shown["statisticsTable"]["titles"][8] == "90th pct"
    assert set(shown) == {
        "requestsSummary",
        "apdexTable",
        "statisticsTable",
        "errorsTable",
        "top5ErrorsBySamplerTable",
    }


def test_every_catalog_chart_finds_its_graph_in_jmeters_graphs() -> None:
    graphs = json.loads((FIXTURES / "webtours-tc" / "graphs.json").read_text(encoding="utf-8"))
    # JMeter's 16 charts; surge-only optional charts (the open model's queue time) come on top.
    ids = [spec.graph_id for page in CHART_PAGES for spec in page.charts if not spec.optional]
    assert len(ids) == len(set(ids)) == 16
    for graph_id in ids:
        assert find_graph(graphs, graph_id) is not None, graph_id
    assert find_graph({"latencyVsRequest": {"result": {}}}, "latenciesVsRequest") is not None


def _graph(series: list[dict[str, object]], **result: object) -> dict[str, object]:
    return {"result": {"series": series, **result}}


def test_time_axis_shows_the_display_zone_including_daylight_saving() -> None:
    spec = ChartSpec("hitsPerSecond", "Hits", "Time", "n/s", "time_lines")
    winter, summer = _ms(2024, 1, 15, 12, 0), _ms(2024, 7, 15, 12, 0)
    graph = _graph([{"label": "hitsPerSecond", "data": [[summer, 2.0], [winter, 1.0]]}], granularity=60000)
    chart = chart_data(spec, graph, ZoneInfo("Europe/Paris"))
    series = chart["series"][0]
    # Sorted by time; Plotly draws numbers as UTC, so 12:00 UTC must become 13:00 (CET) / 14:00 (CEST).
    assert series["x"] == [_ms(2024, 1, 15, 13, 0), _ms(2024, 7, 15, 14, 0)]
    assert series["y"] == [1, 2]
    assert chart["granularityMs"] == 60000


def test_non_time_axes_are_not_shifted_and_gaps_stay_gaps() -> None:
    spec = ChartSpec("timeVsThreads", "T", "threads", "ms", "lines")
    graph = _graph(
        [{"label": "b", "data": [[3, 1.23456], [1, None]]}, {"label": "A", "data": [[2, math.nan]]}]
    )
    chart = chart_data(spec, graph, ZoneInfo("Asia/Tokyo"))
    assert [s["label"] for s in chart["series"]] == ["A", "b"]  # legend sorted like JMeter's page
    assert chart["series"][0]["y"] == [None]  # NaN is a gap, not invalid JSON
    assert chart["series"][1] == {"label": "b", "isController": False, "x": [1, 3], "y": [None, 1.235]}


def test_step_charts_keep_only_the_points_where_the_value_changes() -> None:
    spec = ChartSpec("responseTimePercentiles", "P", "%", "ms", "steps")
    data = [[p / 10, 10.0 if p < 500 else 20.0] for p in range(1000)]
    chart = chart_data(spec, _graph([{"label": "a", "data": data}]), UTC_ZONE)
    series = chart["series"][0]
    assert list(zip(series["x"], series["y"], strict=True)) == [(0, 10), (50, 20), (99.9, 20)]


def test_category_chart_uses_tick_texts_and_keeps_colours() -> None:
    graphs = json.loads((FIXTURES / "amin-pinvest" / "graphs.json").read_text(encoding="utf-8"))
    spec = ChartSpec("syntheticResponseTimeDistribution", "O", "", "n", "categories")
    chart = chart_data(spec, graphs["syntheticResponseTimeDistribution"], UTC_ZONE)
    assert chart["categories"][3] == "Requests in error"
    errors = next(s for s in chart["series"] if s["label"] == "Requests in error")
    assert errors == {
        "label": "Requests in error",
        "isController": False,
        "x": ["Requests in error"],
        "y": [36],
        "color": "#FF6347",
    }


def test_missing_graph_gives_an_empty_chart() -> None:
    spec = ChartSpec("connectTimeOverTime", "C", "Time", "ms", "time_lines")
    assert chart_data(spec, None, UTC_ZONE)["series"] == []


def test_jmeters_html_escaped_error_keys_show_as_jmeters_page_shows_them() -> None:
    tables = json.loads((FIXTURES / "banpreet-jpetstore-utg" / "dashboard.json").read_text(encoding="utf-8"))
    escaped_key = tables["errorsTable"]["items"][0]["data"][0]
    assert "&amp;productId" in escaped_key  # as JMeter stores it
    shown = dashboard_tables(tables, error_keys_html_escaped=True)
    assert "viewProduct=&productId" in shown["errorsTable"]["rows"][0][0]
    assert "viewProduct=&productId" in shown["top5ErrorsBySamplerTable"]["rows"][0][3]
    assert "viewProduct=&productId" in shown["top5ErrorsBySamplerTable"]["overall"][3]
    # Labels are never unescaped: only error keys are stored escaped.
    assert dashboard_tables(tables)["errorsTable"]["rows"][0][0] == escaped_key
