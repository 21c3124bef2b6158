"""Did the server fall behind during a trial? The latency of the requests sent last in the trial
against that of the requests sent first, read from the trial's results file.

A short open-model trial can pass at a rate above what the server serves: the queue grows at
(rate - capacity) requests per second, so 25 % over capacity for 1.5 s makes the last requests
wait only ~0.3 s, under a 500 ms p99, and the trial passes. Measured on the demo app, every
candidate's figure from short (screening) trials came out 8-30 % above its figure from longer
ones, and the smart search ranked on it. A server that keeps up answers the last requests about
as fast as the first; one that falls behind answers each later one slower. The medians of the
first and last quarters (by intended send time: the timeStamp of an open-model sample) tell the
two apart whatever the trial's length.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

# Fewer samples than this say nothing reliable about a trend.
MIN_SAMPLES = 40
# The late median must exceed both: this multiple of the early one...
GROWTH_FACTOR = 2.0
# ...and the early one plus this share of the SLO's latency limit (fast endpoints jitter by ms).
GROWTH_SHARE_OF_LIMIT = 0.1


@dataclass(frozen=True)
class LatencyTrend:
    """Median elapsed (ms) of the first and the last quarter of a trial's samples, by send time."""

    early_ms: float
    late_ms: float
    samples: int

    def fell_behind(self, limit_ms: float) -> bool:
        """The later requests waited markedly longer: the server did not keep up with the rate."""
        margin_ms = max((GROWTH_FACTOR - 1) * self.early_ms, GROWTH_SHARE_OF_LIMIT * limit_ms)
        return self.late_ms > self.early_ms + margin_ms

    def describe(self) -> str:
        return (
            f"the server fell behind: median latency rose from {self.early_ms:,.0f} ms to"
            f" {self.late_ms:,.0f} ms during the trial"
        )


def latency_trend(path: Path) -> LatencyTrend | None:
    """The trend of a results file surge wrote (JTL CSV with a header); None when it is too short
    to tell, or unreadable (the trial is then judged on its SLO alone)."""
    rows: list[tuple[int, int]] = []
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if header is None or "timeStamp" not in header or "elapsed" not in header:
                return None
            at, took = header.index("timeStamp"), header.index("elapsed")
            for row in reader:
                try:
                    rows.append((int(row[at]), int(row[took])))
                except (IndexError, ValueError):
                    continue  # a transaction's or a malformed row: not a request's latency
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if len(rows) < MIN_SAMPLES:
        return None
    rows.sort()
    quarter = len(rows) // 4
    early = statistics.median(elapsed for _, elapsed in rows[:quarter])
    late = statistics.median(elapsed for _, elapsed in rows[-quarter:])
    return LatencyTrend(float(early), float(late), len(rows))
