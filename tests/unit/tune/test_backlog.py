"""The latency trend of a trial's results file: steady, growing, too short, unreadable."""

from __future__ import annotations

from pathlib import Path

from surge.results.columns import DEFAULT_HEADER
from surge.tune.backlog import MIN_SAMPLES, latency_trend

LIMIT_MS = 500.0


def _jtl(path: Path, elapsed_ms: list[int], *, shuffled: bool = False) -> Path:
    rows = [(1_700_000_000_000 + 10 * i, e) for i, e in enumerate(elapsed_ms)]
    if shuffled:  # processes' parts are merged by time, but nothing may rely on the file's order
        rows = rows[1::2] + rows[::2]
    lines = [DEFAULT_HEADER]
    for at, took in rows:
        lines.append(
            f'{at},{took},GET /,200,OK,"surge-1 1-1",text,true,,100,50,1,1,http://127.0.0.1/,{took},0,0'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_steady_server_did_not_fall_behind(tmp_path: Path) -> None:
    trend = latency_trend(_jtl(tmp_path / "t.jtl", [50 + (i % 7) for i in range(400)]))
    assert trend is not None and trend.samples == 400
    assert not trend.fell_behind(LIMIT_MS)


def test_a_growing_queue_fell_behind_though_every_request_met_the_slo(tmp_path: Path) -> None:
    # 25 % over capacity for 1.5 s: the last requests wait ~0.3 s, all under a 500 ms p99.
    elapsed = [50 + int(300 * i / 399) for i in range(400)]
    trend = latency_trend(_jtl(tmp_path / "t.jtl", elapsed, shuffled=True))
    assert trend is not None
    assert trend.early_ms < 100 < 300 < trend.late_ms
    assert trend.fell_behind(LIMIT_MS)
    assert trend.describe().startswith("the server fell behind: median latency rose from")


def test_jitter_of_a_few_ms_on_a_fast_endpoint_is_not_a_trend(tmp_path: Path) -> None:
    # 1 ms early, 3 ms late: thrice as slow, but 2 ms is nothing against a 500 ms limit.
    trend = latency_trend(_jtl(tmp_path / "t.jtl", [1] * 200 + [3] * 200))
    assert trend is not None and not trend.fell_behind(LIMIT_MS)


def test_too_few_samples_or_no_file_say_nothing(tmp_path: Path) -> None:
    assert latency_trend(_jtl(tmp_path / "short.jtl", [50] * (MIN_SAMPLES - 1))) is None
    assert latency_trend(tmp_path / "missing.jtl") is None
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert latency_trend(tmp_path / "other.csv") is None
