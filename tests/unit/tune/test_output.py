"""What a tune prints and writes: the ranking table, the one recommendation line with the exact
command, the notes, the JSON document in the issue's shape, and the HTML page's files."""

from __future__ import annotations

import json
from pathlib import Path

from surge.tune.document import tune_document, write_json
from surge.tune.html import render_page
from surge.tune.text import ranking_notes, ranking_table, recommendation_lines, summary_line
from tune_fakes import tune_result


def test_table_ranks_measured_candidates_then_the_rest(tmp_path: Path) -> None:
    result = tune_result(tmp_path)
    table = ranking_table(result.ranking).splitlines()
    assert table[0].split() == [
        "#", "MODE", "WORKERS", "PER", "WORKER", "MAX", "REQ/S", "P50", "MS", "P99", "MS",
        "CPU", "%", "RSS", "MB", "STATUS",
    ]  # fmt: skip
    assert table[1].startswith("1  gevent") and "1000 conns" in table[1] and "1,190" in table[1]
    assert "ok (3 runs: 1,100-" in table[1]  # the screening and two fine runs
    assert table[2].startswith("2  flask-dev") and "reference" in table[2]
    assert table[3].startswith("3  sync")
    assert table[4].startswith("-  sync") and table[4].endswith("failed")
    assert table[5].startswith("-  gevent") and table[5].endswith("not measured")
    notes = ranking_notes(result.ranking)
    assert "  sync-w2: failed: did not start: boom <b>" in notes
    assert "  not measured: the search stopped short of it: gevent-w2-c1000" in notes


def test_one_recommendation_line_with_the_exact_command(tmp_path: Path) -> None:
    lines = recommendation_lines(tune_result(tmp_path))
    assert (
        lines[0]
        == "Recommendation: surge serve surge.demo:app --mode gevent --workers 1 --worker-connections 1000"
    )
    assert "1,190 req/s within the SLO (p99<500ms, error_rate<1%)" in lines[1]
    assert "the server on 1 core" in lines[1] and "hold for this machine" in lines[1]
    assert not any(line.startswith("Recommendation") for line in lines[1:])


def test_summary_line_counts_and_says_when_interrupted(tmp_path: Path) -> None:
    assert summary_line(tune_result(tmp_path)).startswith(
        "Tuned in 1m35s: 4 candidates measured in 6 measurements"
    )
    interrupted = tune_result(tmp_path, interrupted=True)
    assert "(interrupted)" in summary_line(interrupted)


def test_json_document_has_the_issues_shape(tmp_path: Path) -> None:
    document = tune_document(tune_result(tmp_path))
    path = tmp_path / "tune.json"
    write_json(path, document)
    data = json.loads(path.read_text())
    recommendation = data["recommendation"]
    assert {
        k: recommendation[k] for k in ("mode", "workers", "threads", "worker_connections", "max_rps")
    } == {
        "mode": "gevent",
        "workers": 1,
        "threads": None,
        "worker_connections": 1000,
        "max_rps": 1190.0,
    }
    assert recommendation["command"].startswith("surge serve surge.demo:app --mode gevent")
    assert data["no_recommendation"] is None
    for row in data["candidates"]:
        assert {"max_rps", "p50_ms", "p99_ms", "cpu_percent", "rss_mb", "status"} <= set(row)
    assert [row["status"] for row in data["candidates"]] == ["ok", "ok", "ok", "failed", "not_measured"]
    assert data["slo"] == ["p99<500ms", "error_rate<1%"]
    assert data["machine"]["server_cores"] == [0] and data["machine"]["generator_cores"] == [1]
    assert data["search"]["strategy"] == "smart"
    gevent = data["candidates"][0]
    assert len(gevent["measurements"]) == 3 and gevent["measurements"][0]["trials"]


def test_page_files_are_written_beside_index_html(tmp_path: Path) -> None:
    result = tune_result(tmp_path)
    index = render_page(tmp_path / "page", result, tune_document(result))
    assert index == tmp_path / "page" / "index.html"
    html = index.read_text()
    assert "surge serve surge.demo:app --mode gevent --workers 1 --worker-connections 1000" in html
    assert "did not start: boom &lt;b&gt;" in html and "boom <b>" not in html
    for asset in ("content/js/plotly.min.js", "content/js/surge-tune.js", "content/css/surge.css"):
        assert (tmp_path / "page" / asset).stat().st_size > 0
