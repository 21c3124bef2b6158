"""The live view's per-label figures: the busiest labels over the last seconds, merged across workers."""

from __future__ import annotations

from surge.engine.histogram import PROGRESS_DIGITS, encode, new_histogram
from surge.engine.messages import LabelSecond, Tick
from surge.engine.progress import LIVE_LABELS, LIVE_WINDOW_S, ProgressBoard
from surge.engine.run_result import Progress
from surge.plan import LoadModel, Plan, Request, UserGroup


def histogram_of(values_us: list[int]) -> bytes:
    h = new_histogram(PROGRESS_DIGITS)
    for v in values_us:
        h.record_value(v)
    return encode(h)


def tick(worker: int, second: int, labels: dict[str, tuple[int, int, int]]) -> Tick:
    """labels: name -> (samples, errors, elapsed µs of every sample)."""
    seconds = [LabelSecond(name, n, e, us, histogram_of([us] * n)) for name, (n, e, us) in labels.items()]
    total = sum(n for n, _, _ in labels.values())
    return Tick(worker, second, total, 0, 1, histogram_of([1000] * total), tuple(seconds), 0, cpu_s=0.25)


def board() -> tuple[ProgressBoard, list[Progress]]:
    plan = Plan(
        groups=(UserGroup(requests=(Request("http://127.0.0.1:9/"),), load=LoadModel(duration_s=60)),)
    )
    shown: list[Progress] = []
    return ProgressBoard(plan, 2, shown.append, None, lambda: None, live_view=True), shown


def test_labels_are_merged_over_workers_and_ranked_by_samples() -> None:
    live, shown = board()
    live.tick(tick(0, 1, {"a": (10, 0, 2000), "b": (30, 3, 9000)}))
    live.tick(tick(1, 1, {"a": (5, 1, 2000), "c": (1, 0, 100)}))
    (progress,) = shown
    assert [(x.label, x.rate_per_s, x.errors) for x in progress.labels] == [
        ("b", 30, 3),
        ("a", 15, 1),
        ("c", 1, 0),
    ]
    assert 8.9 <= progress.labels[0].p95_ms <= 9.1
    assert progress.generator_cpu_percent == 50.0  # two workers, a quarter of a core each


def test_the_window_forgets_seconds_older_than_its_length() -> None:
    live, shown = board()
    for second in range(1, LIVE_WINDOW_S + 3):
        labels = {"early": (100, 0, 1000)} if second == 1 else {"late": (2, 0, 1000)}
        live.tick(tick(0, second, labels))
        live.tick(tick(1, second, {}))
    last = shown[-1]
    assert [x.label for x in last.labels] == ["late"]
    assert last.labels[0].rate_per_s == 2.0


def test_at_most_the_busiest_few_are_shown() -> None:
    live, shown = board()
    live.tick(tick(0, 1, {f"label {i:03}": (i + 1, 0, 1000) for i in range(50)}))
    live.tick(tick(1, 1, {}))
    labels = [x.label for x in shown[-1].labels]
    assert len(labels) == LIVE_LABELS and labels[0] == "label 049"
